package io.sluice.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A physical standby of an embedded primary: a base backup, streaming, and promotion after the primary is killed. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PhysicalStandbyIT {

    @TempDir
    Path dir;
    /** The servers a test started, stopped after it, the last started first. */
    private final Deque<LocalPostgres> servers = new ArrayDeque<>();

    private LocalPostgres started(LocalPostgres server) {
        servers.push(server);
        return server;
    }

    @AfterEach
    void stopServers() {
        while (!servers.isEmpty()) {
            servers.pop().close();
        }
    }

    static long count(LocalPostgres pg) throws Exception {
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM t"));
    }

    @Test
    void aStandbyStreamsFromItsPrimaryAndTakesOverWhenTheCrashedPrimaryIsGone() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("primary", dir));
        primary.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g");
        LocalPostgres standby = started(PhysicalStandby.start(primary, "standby", dir, LocalPostgres.builder("standby")));
        assertThat(standby.queryScalar("SELECT pg_is_in_recovery()::text")).isEqualTo("true");
        assertThat(count(standby)).as("the rows of the base backup").isEqualTo(10_000);
        primary.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(10001, 12000) g");
        Await.until(Duration.ofSeconds(60), () -> "the standby to replay the primary's later rows", () -> count(standby) == 12_000);
        assertThat(primary.queryScalar("SELECT active::text FROM pg_replication_slots WHERE slot_name = '"
                + PhysicalStandby.slotName("standby") + "'")).as("streaming through its own slot").isEqualTo("true");
        assertThat(primary.queryScalar("SELECT state FROM pg_stat_replication")).isEqualTo("streaming");

        primary.crash();
        standby.promote();
        assertThat(standby.queryScalar("SELECT pg_is_in_recovery()::text")).isEqualTo("false");
        standby.execute("INSERT INTO t VALUES (12001, 'after the failover')");
        assertThat(count(standby)).isEqualTo(12_001);
        assertThat(standby.rowsAsText("t")).as("the primary's rows, then the new one").contains("(12001,\"after the failover\")");
    }

    @Test
    void aFailoverSlotFollowsToTheStandbyAndContinuesThereAfterPromotion() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("primary2", dir));
        primary.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
                // temporary false, two-phase false, failover true (PostgreSQL 17)
                "SELECT pg_create_logical_replication_slot('cap', 'test_decoding', false, false, true)");
        LocalPostgres standby = started(PhysicalStandby.start(primary, "standby2", dir, LocalPostgres.builder("standby2")
                .setting("sync_replication_slots", "on").setting("hot_standby_feedback", "on")));
        // Logical decoding on the primary never gets ahead of the standby that may be promoted.
        primary.execute("ALTER SYSTEM SET synchronized_standby_slots = '" + PhysicalStandby.slotName("standby2") + "'",
                "SELECT pg_reload_conf()");
        primary.execute("INSERT INTO t VALUES (1, 'consumed before the failover')");
        assertThat(primary.queryScalar("SELECT count(*) FROM pg_logical_slot_get_changes('cap', NULL, NULL) WHERE data LIKE 'table public.t:%'"))
                .isEqualTo("1");
        Await.until(Duration.ofSeconds(90), () -> "the standby to hold slot cap, synchronised up to the consumed position",
                () -> "t".equals(standby.queryScalar("SELECT coalesce(bool_and(synced AND NOT temporary)::text::char, 'f') FROM pg_replication_slots"
                        + " WHERE slot_name = 'cap' AND confirmed_flush_lsn >= '"
                        + primary.queryScalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'cap'") + "'")));
        primary.execute("INSERT INTO t VALUES (2, 'written before the failover, not yet consumed')");
        Await.until(Duration.ofSeconds(60), () -> "the standby to replay the second row",
                () -> "2".equals(standby.queryScalar("SELECT count(*) FROM t")));

        primary.crash();
        standby.promote();
        String after = standby.queryScalar("SELECT string_agg(data, ' | ') FROM pg_logical_slot_get_changes('cap', NULL, NULL)"
                + " WHERE data LIKE 'table public.t:%'");
        assertThat(after).as("the new primary's slot goes on where the old one was consumed up to")
                .contains("id[integer]:2").doesNotContain("id[integer]:1");
    }
}
