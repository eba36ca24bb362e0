package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.capture.internal.HandClock;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The backlog probe against a real primary: behind only when the WAL's end, read at most every interval, is far ahead. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BacklogProbeIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("backlog-probe", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    static Lsn walEnd() throws Exception {
        return Lsn.parse(pg.queryScalar("SELECT pg_current_wal_flush_lsn()::text"));
    }

    @Test
    void behindOnlyWhenTheWalEndAsLastReadIsMoreThanTheBoundAhead() throws Exception {
        HandClock clock = new HandClock();
        pg.execute("CREATE TABLE filler (id int, v text)", "ALTER TABLE filler ALTER COLUMN v SET STORAGE EXTERNAL");
        Lsn before = walEnd();
        try (BacklogProbe probe = new BacklogProbe(() -> {
            try {
                return pg.connect();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, clock)) {
            assertThat(probe.behind(before)).as("at the WAL's end").isFalse();
            pg.execute("INSERT INTO filler SELECT g, repeat(md5(g::text), 400) FROM generate_series(1, 200) g");
            Lsn after = walEnd();
            assertThat(after.minus(before)).as("the insert wrote more WAL than the bound").isGreaterThan(BacklogProbe.BEHIND_BYTES);
            assertThat(probe.behind(before)).as("the end is read again only after the interval").isFalse();
            clock.advance(Duration.ofMillis(BacklogProbe.PROBE_MILLIS));
            assertThat(probe.behind(before)).as("far behind the end read now").isTrue();
            assertThat(probe.behind(after)).as("at the end read now").isFalse();
            assertThat(probe.behind(new Lsn(after.value() - BacklogProbe.BEHIND_BYTES + 1))).as("within the bound").isFalse();
        }
    }
}
