package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot against a real primary whose tables are rewritten around it. A rewrite by {@code ALTER TABLE … TYPE}
 * or a {@code TRUNCATE} is not MVCC-safe: a snapshot taken before it reads the table as empty. One committed after the slot's snapshot and before the snapshot's locks makes the snapshot outdated, and
 * a later slot's snapshot holds the rows; one that comes after the locks waits until the snapshot is done, and the
 * tables it waits for are copied by the session holding them.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SnapshotGuardIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() throws SQLException {
        pg = LocalPostgres.start("snapshot-guard", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    private static Supplier<Connection> sessions() {
        return () -> {
            try {
                return PrimarySession.withSessionSettings(pg.connect());
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static ReplicationConnection replication() {
        return ReplicationConnection.open(pg.jdbcUrl(), new Properties(), "guard");
    }

    private static long rows(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aTableRewrittenAfterTheSlotsSnapshotMakesItOutdatedAndTheSnapshotTakenAgainHoldsItsRows() throws Exception {
        pg.execute("CREATE TABLE rw (id int PRIMARY KEY, v int)", "INSERT INTO rw SELECT g, g FROM generate_series(1, 1000) g",
                "CREATE TABLE quiet (id int PRIMARY KEY)", "INSERT INTO quiet VALUES (1)",
                "CREATE PUBLICATION pub_rw FOR TABLE rw, quiet");
        try (ReplicationConnection replication = replication()) {
            ReplicationConnection.CreatedSlot first = replication.createSlot("guard_rw", false);
            pg.execute("ALTER TABLE rw ALTER COLUMN v TYPE bigint"); // a rewrite, committed after the slot's snapshot
            try (Connection unguarded = SnapshotSessions.inSnapshot(sessions(), first.snapshotName())) {
                assertThat(rows(unguarded, "rw")).as("the rewritten table, read in the older snapshot").isZero();
                unguarded.rollback();
            }
            assertThatThrownBy(() -> SnapshotGuard.take(sessions(), first.snapshotName(), "pub_rw", n -> 1))
                    .isInstanceOf(SnapshotGuard.Outdated.class).hasMessageContaining("public.rw").hasMessageNotContaining("quiet");

            List<Long> copied = new ArrayList<>();
            ReplicationConnection.CreatedSlot[] remade = new ReplicationConnection.CreatedSlot[1];
            ReplicationConnection.CreatedSlot taken = InitialSnapshot.take(first, slot -> {
                try (SnapshotGuard guard = SnapshotGuard.take(sessions(), slot.snapshotName(), "pub_rw", n -> 2)) {
                    copied.add(rows(guard.sessions().get(1), "rw"));
                }
                return copied.get(copied.size() - 1);
            }, () -> {
                replication.dropSlot("guard_rw");
                remade[0] = replication.createSlot("guard_rw", false);
                return remade[0];
            });
            assertThat(taken).as("the slot made again").isSameAs(remade[0]);
            assertThat(taken.consistentPoint()).isGreaterThan(first.consistentPoint());
            assertThat(copied).as("the rows the second snapshot copied").containsExactly(1000L);
            replication.dropSlot("guard_rw");
        }
    }

    @Test
    void aRewriteAfterTheSnapshotsLocksWaitsUntilTheCopiesAreDoneAndTheFirstSessionCopiesWhatTheOthersCannot() throws Exception {
        pg.execute("CREATE TABLE held (id int PRIMARY KEY, v int)", "INSERT INTO held SELECT g, g FROM generate_series(1, 500) g",
                "CREATE PUBLICATION pub_held FOR TABLE held");
        try (ReplicationConnection replication = replication()) {
            ReplicationConnection.CreatedSlot slot = replication.createSlot("guard_held", false);
            CompletableFuture<Void> rewrite;
            try (SnapshotGuard guard = SnapshotGuard.take(sessions(), slot.snapshotName(), "pub_held", n -> 2)) {
                rewrite = CompletableFuture.runAsync(() -> {
                    try {
                        pg.execute("VACUUM FULL held");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Await.until(Duration.ofSeconds(30), () -> "VACUUM FULL to wait for the snapshot's lock", () -> !"0".equals(
                        pg.queryScalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'held'::regclass")));
                assertThat(guard.lockAlone(guard.sessions().get(1), new TableId("public", "held")))
                        .as("another session's lock, behind the waiting rewrite").isFalse();
                TableId held = new TableId("public", "held");
                long copied = SnapshotWorkers.copyAll(guard, List.of(held, held, held, held), t -> t, "test-copy", () -> false,
                        (c, t, halt) -> rows(c, "held"));
                assertThat(copied).as("four copies of the table, those the other session handed back too").isEqualTo(2000);
                assertThat(rewrite).as("the rewrite, while the snapshot holds its lock").isNotDone();
            }
            rewrite.get(30, TimeUnit.SECONDS);
            replication.dropSlot("guard_held");
        }
    }

    @Test
    void aPartitionAttachedOrRewrittenAfterTheSnapshotMakesItOutdatedAndTablesOfOtherShapesDoNot() throws Exception {
        pg.execute("CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)",
                "CREATE TABLE parted_2 (id int PRIMARY KEY)", "INSERT INTO parted_2 VALUES (150)",
                "CREATE TABLE parent (id int PRIMARY KEY)", "CREATE TABLE child (x int) INHERITS (parent)",
                "INSERT INTO parent VALUES (1)", "INSERT INTO child VALUES (2, 2)",
                "CREATE PUBLICATION pub_parted FOR TABLE parted, parent, child WITH (publish_via_partition_root = true)");
        try (ReplicationConnection replication = replication()) {
            ReplicationConnection.CreatedSlot quiet = replication.createSlot("guard_parted", false);
            SnapshotGuard.take(sessions(), quiet.snapshotName(), "pub_parted", n -> 2).close(); // nothing changed: not outdated
            replication.dropSlot("guard_parted");

            ReplicationConnection.CreatedSlot attached = replication.createSlot("guard_parted", false);
            pg.execute("ALTER TABLE parted ATTACH PARTITION parted_2 FOR VALUES FROM (100) TO (200)");
            assertThatThrownBy(() -> SnapshotGuard.take(sessions(), attached.snapshotName(), "pub_parted", n -> 2))
                    .isInstanceOf(SnapshotGuard.Outdated.class).hasMessageContaining("public.parted")
                    .hasMessageNotContaining("parent");
            replication.dropSlot("guard_parted");

            ReplicationConnection.CreatedSlot truncated = replication.createSlot("guard_parted", false);
            pg.execute("TRUNCATE parted_1");
            assertThatThrownBy(() -> SnapshotGuard.take(sessions(), truncated.snapshotName(), "pub_parted", n -> 2))
                    .isInstanceOf(SnapshotGuard.Outdated.class).hasMessageContaining("public.parted");
            replication.dropSlot("guard_parted");
        }
    }
}
