package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import io.sluice.format.follower.Watermark;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bookkeeping's migration on a real follower: Flyway left out only where it would do nothing. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BookkeepingIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("bookkeeping", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    private static boolean current(String database) throws Exception {
        try (Connection c = pg.connect(database)) {
            return Bookkeeping.current(c);
        }
    }

    private static void execute(String database, String sql) throws Exception {
        try (Connection c = pg.connect(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Test
    void aFreshFollowerIsMigratedAndThenCurrent() throws Exception {
        pg.createDatabase("fresh");
        assertThat(current("fresh")).isFalse();
        Bookkeeping.migrate(pg.jdbcUrl("fresh"), new Properties());
        assertThat(current("fresh")).isTrue();
        try (Connection c = pg.connect("fresh"); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('sluice.watermark') IS NOT NULL AND to_regclass('sluice.conflict') IS NOT NULL")) {
            assertThat(rs.next() && rs.getBoolean(1)).as("the first and the latest migration's tables").isTrue();
        }
        Bookkeeping.migrate(pg.jdbcUrl("fresh"), new Properties()); // current: nothing to do, nothing fails
        assertThat(current("fresh")).isTrue();
    }

    @Test
    void aFollowerWithoutTheLatestMigrationIsNotCurrent() throws Exception {
        pg.createDatabase("behind");
        Bookkeeping.migrate(pg.jdbcUrl("behind"), new Properties());
        execute("behind", "DELETE FROM sluice.flyway_schema_history WHERE version = '" + Bookkeeping.LATEST_MIGRATION + "'");
        assertThat(current("behind")).isFalse();
    }

    @Test
    void aFailedMigrationIsLeftToFlywayToReport() throws Exception {
        pg.createDatabase("failed");
        Bookkeeping.migrate(pg.jdbcUrl("failed"), new Properties());
        execute("failed", "UPDATE sluice.flyway_schema_history SET success = false WHERE version = '"
                + Bookkeeping.LATEST_MIGRATION + "'");
        assertThat(current("failed")).isFalse();
        assertThatThrownBy(() -> Bookkeeping.migrate(pg.jdbcUrl("failed"), new Properties()))
                .hasMessageContaining("failed migration to version " + Bookkeeping.LATEST_MIGRATION);
    }

    /** The move and the COMMIT in one round trip: the group's rows and the watermark are committed together. */
    @Test
    void advanceAndCommitMovesTheWatermarkAndCommitsTheRowsWithIt() throws Exception {
        pg.createDatabase("together");
        Bookkeeping.migrate(pg.jdbcUrl("together"), new Properties());
        execute("together", "CREATE TABLE t (id int PRIMARY KEY)");
        try (Connection c = pg.connect("together")) {
            c.setAutoCommit(false);
            insert(c, 1);
            Bookkeeping.advanceAndCommit(c, null, "s", null, Lsn.parse("0/100"), 7, Instant.parse("2026-01-01T00:00:00Z"), 3, 1,
                    Lsn.parse("0/100"), new long[] {7}, 1);
            c.rollback(); // nothing is open any more: this undoes nothing
            // The group's last insert in the same round trip: the whole transaction one message.
            Bookkeeping.advanceAndCommit(c, leadingInsert(2), "s", new Bookkeeping.Position(Lsn.parse("0/100"), 3),
                    Lsn.parse("0/200"), 8, Instant.parse("2026-01-01T00:00:01Z"), 4, 1, Lsn.parse("0/200"), new long[] {8}, 1);
        }
        try (Connection c = pg.connect("together")) {
            Watermark w = Watermark.read(c, "s").orElseThrow();
            assertThat(w.commitLsn()).isEqualTo(Lsn.parse("0/200"));
            assertThat(w.streamOffset()).isEqualTo(4);
            assertThat(scalar("together", "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")).isEqualTo("1,2");
        }
    }

    /**
     * A watermark found elsewhere: the COMMIT sent with the move never runs, nor the insert sent
     * ahead of it; the error names both positions.
     */
    @Test
    void advanceAndCommitFromAStalePositionCommitsNothing() throws Exception {
        pg.createDatabase("stale");
        Bookkeeping.migrate(pg.jdbcUrl("stale"), new Properties());
        execute("stale", "CREATE TABLE t (id int PRIMARY KEY)");
        try (Connection c = pg.connect("stale")) {
            c.setAutoCommit(false);
            Bookkeeping.advanceAndCommit(c, null, "s", null, Lsn.parse("0/100"), 7, Instant.parse("2026-01-01T00:00:00Z"), 3, 1,
                    Lsn.parse("0/100"), new long[] {7}, 1);
            insert(c, 1);
            Bookkeeping.Position stale = new Bookkeeping.Position(Lsn.parse("0/50"), 1);
            assertThatThrownBy(() -> Bookkeeping.advanceAndCommit(c, leadingInsert(2), "s", stale, Lsn.parse("0/200"), 8,
                    Instant.parse("2026-01-01T00:00:01Z"), 4, 1, Lsn.parse("0/200"), new long[] {8}, 1))
                    .isInstanceOf(ApplierException.class)
                    .hasMessageContaining("no longer where this applier last saw it (0/50 (stream offset 1))")
                    .hasMessageContaining("it is now at 0/100 (stream offset 3)");
        }
        assertThat(scalar("stale", "SELECT count(*) FROM t")).isEqualTo("0");
        try (Connection c = pg.connect("stale")) {
            assertThat(Watermark.read(c, "s").orElseThrow().commitLsn()).isEqualTo(Lsn.parse("0/100"));
        }
    }

    private static String scalar(String database, String sql) throws Exception {
        try (Connection c = pg.connect(database); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** An insert sent ahead of the move, as {@code RowWriter.takeSingleInsert} hands one over. */
    private static Bookkeeping.Leading leadingInsert(int id) {
        return new Bookkeeping.Leading("INSERT INTO t VALUES (?)", ps -> {
            ps.setInt(1, id);
            return 2;
        }, () -> "insert of " + id);
    }

    private static void insert(Connection c, int id) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO t VALUES (" + id + ")");
        }
    }
}
