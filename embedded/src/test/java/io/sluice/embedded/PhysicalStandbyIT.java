package io.sluice.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A physical standby of an embedded primary: a base backup, streaming, and promotion after the primary is killed. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PhysicalStandbyIT {

    @TempDir
    Path dir;

    static long count(LocalPostgres pg) throws Exception {
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM t"));
    }

    @Test
    void aStandbyStreamsFromItsPrimaryAndTakesOverWhenTheCrashedPrimaryIsGone() throws Exception {
        LocalPostgres primary = LocalPostgres.start("primary", dir);
        LocalPostgres standby = null;
        try {
            primary.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
                    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g");
            standby = PhysicalStandby.start(primary, "standby", dir, LocalPostgres.builder("standby"));
            assertThat(standby.queryScalar("SELECT pg_is_in_recovery()::text")).isEqualTo("true");
            assertThat(count(standby)).as("the rows of the base backup").isEqualTo(10_000);
            primary.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(10001, 12000) g");
            LocalPostgres s = standby;
            Await.until(Duration.ofSeconds(60), () -> "the standby to replay the primary's later rows", () -> count(s) == 12_000);
            assertThat(primary.queryScalar("SELECT active::text FROM pg_replication_slots WHERE slot_name = '"
                    + PhysicalStandby.slotName("standby") + "'")).as("streaming through its own slot").isEqualTo("true");
            assertThat(primary.queryScalar("SELECT state FROM pg_stat_replication")).isEqualTo("streaming");

            primary.crash();
            standby.promote();
            assertThat(standby.queryScalar("SELECT pg_is_in_recovery()::text")).isEqualTo("false");
            standby.execute("INSERT INTO t VALUES (12001, 'after the failover')");
            assertThat(count(standby)).isEqualTo(12_001);
            assertThat(standby.rowsAsText("t")).as("the primary's rows, then the new one").contains("(12001,\"after the failover\")");
        } finally {
            if (standby != null) {
                standby.close();
            }
            primary.close();
        }
    }
}
