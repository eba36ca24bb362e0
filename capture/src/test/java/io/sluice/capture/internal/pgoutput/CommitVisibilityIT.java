package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.capture.internal.HandClock;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.CaptureSessions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Whether a transaction is visible to capture's catalog session, asked of a real server. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommitVisibilityIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("commit-visibility", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    /** The id of the transaction {@code st}'s connection has open, as pgoutput would send it (32 bits). */
    static long openXid(Statement st) throws Exception {
        st.getConnection().setAutoCommit(false);
        try (var rs = st.executeQuery("SELECT txid_current()")) {
            rs.next();
            return rs.getLong(1) & 0xFFFF_FFFFL;
        }
    }

    @Test
    void aTransactionInProgressIsNotVisibleUntilItCommitsAndOneLongCommittedIsAtOnce() throws Exception {
        try (Connection writer = pg.connect(); Connection catalog = pg.connect(); Statement st = writer.createStatement()) {
            long old = Long.parseLong(pg.queryScalar("SELECT txid_current()")) & 0xFFFF_FFFFL;
            CommitVisibility v = new CommitVisibility("vis", new HandClock());
            v.decoding(old);
            assertThat(v.known()).isFalse();
            assertThat(v.becameVisible(catalog, Duration.ofSeconds(5))).as("a committed transaction").isTrue();
            assertThat(v.known()).as("remembered for the transaction").isTrue();

            long open = openXid(st);
            // A clock that moves a second each time it is read: the wait's deadline passes after a few looks.
            HandClock ticking = new HandClock(Duration.ofSeconds(1));
            CommitVisibility w = new CommitVisibility("vis", ticking);
            w.decoding(open);
            assertThat(w.becameVisible(catalog, Duration.ofSeconds(3))).as("in progress, past the patience").isFalse();
            Instant before = ticking.instant();
            assertThat(w.becameVisible(catalog, Duration.ofSeconds(3))).as("still in progress").isFalse();
            assertThat(Duration.between(before, ticking.instant())).as("the clock read only by this test: no second wait")
                    .isEqualTo(Duration.ofSeconds(1));
            writer.commit();
            assertThat(w.becameVisible(catalog, Duration.ofSeconds(3))).as("committed since").isTrue();
        }
    }

    @Test
    void noWaitWhereCaptureMayBeTheSynchronousStandby() throws Exception {
        try (Connection writer = pg.connect(); Connection catalog = pg.connect(); Statement st = writer.createStatement()) {
            pg.execute("ALTER SYSTEM SET synchronous_standby_names = '\"" + CaptureSessions.walsender("vis") + "\"'",
                    "SELECT pg_reload_conf()");
            io.sluice.embedded.Await.until(Duration.ofSeconds(30), () -> "the catalog session to read the new setting",
                    () -> CommitVisibility.mayWaitForCapture(catalog, "vis"));
            long open = openXid(st);
            // A clock that never moves: only the synchronous setting can end the wait.
            CommitVisibility v = new CommitVisibility("vis", new HandClock());
            v.decoding(open);
            assertThat(v.becameVisible(catalog, Duration.ofSeconds(30))).isFalse();
            assertThat(CommitVisibility.mayWaitForCapture(catalog, "other")).as("another capture's name").isFalse();
            writer.rollback();
        } finally {
            pg.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
        }
    }
}
