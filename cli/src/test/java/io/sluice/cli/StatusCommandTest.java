package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.format.Lsn;
import io.sluice.monitor.State;
import io.sluice.monitor.Status;
import io.sluice.monitor.internal.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCommandTest {

    @Test
    void printsEveryStageAndFollowerWithStateStalenessAndReason() throws Exception {
        Instant t = Instant.parse("2026-11-23T12:00:00Z");
        Status.LatencySummary latency = new Status.LatencySummary(10, 0.2, 0.015, 0.03, 0.04, 0.05, new double[] {0.1},
                new long[] {10});
        Status.Stage ok = new Status.Stage("x", State.OK, t, "staleness 0.000 s");
        Status.Follower a = new Status.Follower("east", true, State.OK, t, "apply staleness 0.000 s", ok, ok, new Lsn(100), 7L,
                t, 12, 0, 0, 0, 0, 0, 0, 0, latency, 0, null, java.util.Map.of());
        Status.Stage crit = new Status.Stage("apply", State.CRIT, t, "staleness 12 s (crit at 10 s)");
        Status.Follower b = new Status.Follower("west", false, State.CRIT, t, "apply staleness 12 s (crit at 10 s)", ok, crit,
                new Lsn(50), 5L, t, 9, 3, 12.0, 2048, 12.0, 12.0, 4096, 600, latency, 2, "east", java.util.Map.of("insert_exists", 3L));
        Status s = new Status("shop", t, 42, ok, ok, ok, new Status.CaptureLag(new Lsn(200), new Lsn(200), new Lsn(190), 10,
                0, 10, 0, 50, true, 1 << 20, "reserved", 12), List.of(a, b),
                new Status.Stage("standbys", State.OFFLINE, t, "standby slot(s) standby_b listed in synchronized_standby_slots are inactive"),
                new Status.Failover(true, List.of(new Status.StandbySlot("standby_b", true, true, false, 4096)),
                        List.of(new Status.Standby("pg-b:5432", true, true, true, new Lsn(190), null),
                                new Status.Standby("pg-c:5432", false, false, false, null, "Connection refused"))),
                List.of(new Status.Decision(t, State.WARN, "the primary does not answer (refused): promoting in 30 s unless it comes back")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StatusCommand.print(new ObjectMapper().readTree(Json.status(s)), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("source shop", "evaluation 42");
        assertThat(out).containsPattern("capture +OK");
        assertThat(out).contains("retains 1.0 MiB WAL (reserved)");
        assertThat(out).containsPattern("standbys +OFFLINE");
        assertThat(out).contains("failover slot; pg-b:5432: slot synced to 0/BE; pg-c:5432: unreachable;"
                + " slot standby_b (waited for) INACTIVE", "standby slot(s) standby_b listed in synchronized_standby_slots are inactive");
        assertThat(out).containsPattern("east +sync +OK");
        assertThat(out).containsPattern("west +async +CRIT +\\S+ \\S+ +12 s +3 records");
        assertThat(out).contains("apply staleness 12 s (crit at 10 s)", "600 tx, 4.0 KiB", "15 ms / 40 ms", "conflicts: insert_exists 3");
        assertThat(out).as("the automatic promotion's decisions")
                .containsPattern("promote --auto +WARN +[0-9-]+ [0-9:]+ +the primary does not answer \\(refused\\): promoting in 30 s");
        assertThat(out).as("a follower past a promotion").contains("epoch 2: follower east was promoted to primary")
                .doesNotContain("epoch 0");
    }
}
