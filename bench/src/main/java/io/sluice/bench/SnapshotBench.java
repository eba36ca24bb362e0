package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.DirectSeed;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The initial copy of a populated primary: native {@code CREATE SUBSCRIPTION … copy_data} against
 * Sluice's snapshot (capture's exported-snapshot copy onto Kafka, and the applier onto an empty
 * follower that creates its tables from the stream), in the same run on the same data; every
 * follower compared with the primary row by row.
 */
public final class SnapshotBench {

    private static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_tellers", "pgbench_branches");

    private final Path dir;
    private final int accounts;

    public SnapshotBench(Path dir, int accounts) {
        this.dir = dir;
        this.accounts = accounts;
    }

    public Map<String, Object> run() throws Exception {
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalPostgres nativeFollower = LocalPostgres.start("native", dir);
             LocalPostgres sluiceFollower = LocalPostgres.start("sluice", dir);
             LocalPostgres directFollower = LocalPostgres.start("direct", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            Pgbench.schema(primary, accounts);
            Pgbench.schema(nativeFollower, 0);
            nativeFollower.execute("TRUNCATE " + String.join(", ", TABLES));
            long rows = 0;
            for (String t : TABLES) {
                rows += Long.parseLong(primary.queryScalar("SELECT count(*) FROM " + t));
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("rows", rows);

            primary.execute("CREATE PUBLICATION snap_native FOR TABLE " + String.join(", ", TABLES));
            List<LocalPostgres> servers = List.of(primary, nativeFollower, sluiceFollower, directFollower);
            QuietMachine.await(servers);
            long t0 = System.nanoTime();
            nativeFollower.execute("CREATE SUBSCRIPTION snap_native CONNECTION 'host=127.0.0.1 port=" + primary.port()
                    + " user=postgres dbname=postgres' PUBLICATION snap_native WITH (copy_data = true)");
            Await.until(Duration.ofMinutes(10), () -> "native copy_data to finish", () -> "0".equals(nativeFollower.queryScalar(
                    "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")) && "3".equals(nativeFollower.queryScalar(
                    "SELECT count(*) FROM pg_subscription_rel")));
            r.put("native_seconds", (System.nanoTime() - t0) / 1e9);
            nativeFollower.execute("DROP SUBSCRIPTION snap_native");

            CaptureConfig base = BenchStack.capture("snap", primary, kafka, TABLES.stream().map(t -> "public." + t).toList(), dir);
            CaptureConfig cfg = new CaptureConfig(base.sourceId(), base.jdbcUrl(), base.connection(), base.kafka(), base.slotName(),
                    base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(), true,
                    base.stateDirectory(), base.debezium(), base.engine());
            QuietMachine.await(servers);
            long t1 = System.nanoTime();
            double captured;
            try (CaptureService capture = new CaptureService(cfg);
                 StreamApplier applier = new StreamApplier(ApplierConfig.of("snap", "sluice", sluiceFollower.jdbcUrl(),
                         BenchStack.superuser(), BenchStack.kafka(kafka)))) {
                capture.start();
                applier.start();
                Await.until(Duration.ofMinutes(10), () -> "the snapshot on Kafka", () -> capture.lastCommittedLsn().value() != 0);
                captured = (System.nanoTime() - t1) / 1e9;
                Await.until(Duration.ofMinutes(10), () -> "the snapshot on the follower", () -> applier.applied().isPresent()
                        || applier.state() == StreamApplier.State.FAILED);
                r.put("sluice_seconds", (System.nanoTime() - t1) / 1e9);
            }
            r.put("sluice_capture_seconds", captured);

            // The direct path: capture copies the snapshot straight into the follower, the stream
            // carries the definitions and the position; the follower's applier then skips that frame.
            CaptureConfig direct = BenchStack.capture("snapd", primary, kafka, base.tables(), dir.resolve("direct"));
            direct = new CaptureConfig(direct.sourceId(), direct.jdbcUrl(), direct.connection(), direct.kafka(), direct.slotName(),
                    direct.publicationName(), direct.tables(), direct.heartbeatInterval(), direct.pollInterval(), true,
                    direct.stateDirectory(), direct.debezium(), direct.engine());
            ApplierConfig directApplier = ApplierConfig.of("snapd", "direct", directFollower.jdbcUrl(), BenchStack.superuser(),
                    BenchStack.kafka(kafka));
            QuietMachine.await(servers);
            long t2 = System.nanoTime();
            try (CaptureService capture = new CaptureService(direct, null, java.time.Clock.systemUTC(),
                    List.of(new DirectSeed(directApplier)))) {
                capture.start();
                Await.until(Duration.ofMinutes(10), () -> "the direct snapshot", () -> capture.lastCommittedLsn().value() != 0
                        || capture.state() == CaptureService.State.FAILED);
                r.put("sluice_direct_seconds", (System.nanoTime() - t2) / 1e9);
                if (capture.state() == CaptureService.State.FAILED) {
                    throw new IllegalStateException("the direct snapshot failed", capture.failure().orElse(null));
                }
                // A transaction after the snapshot: the follower's applier must skip the frame and apply it.
                primary.execute("SELECT pg_logical_emit_message(true, 'sluice.bench.after', 'after')");
                try (StreamApplier applier = new StreamApplier(directApplier)) {
                    applier.start();
                    Await.until(Duration.ofMinutes(2), () -> "the direct follower's applier to pass the snapshot frame",
                            () -> applier.applied().isPresent() && applier.applied().get().streamOffset() >= 0
                                    || applier.state() == StreamApplier.State.FAILED);
                    if (applier.state() == StreamApplier.State.FAILED) {
                        throw new IllegalStateException("the direct follower's applier failed", applier.failure().orElse(null));
                    }
                }
            }
            String differs = null;
            for (String t : TABLES) {
                if (!primary.rowsAsText(t).equals(nativeFollower.rowsAsText(t))) {
                    differs = "native differs on " + t;
                } else if (!primary.rowsAsText(t).equals(sluiceFollower.rowsAsText(t))) {
                    differs = "sluice differs on " + t;
                } else if (!primary.rowsAsText(t).equals(directFollower.rowsAsText(t))) {
                    differs = "sluice direct differs on " + t;
                }
            }
            r.put("equal", differs == null);
            if (differs != null) {
                r.put("void_because", differs);
            }
            r.put("native_rows_per_second", rows / (double) r.get("native_seconds"));
            r.put("sluice_rows_per_second", rows / (double) r.get("sluice_seconds"));
            r.put("sluice_capture_rows_per_second", rows / captured);
            r.put("sluice_vs_native", (double) r.get("native_seconds") / (double) r.get("sluice_seconds"));
            r.put("sluice_direct_rows_per_second", rows / (double) r.get("sluice_direct_seconds"));
            r.put("sluice_direct_vs_native", (double) r.get("native_seconds") / (double) r.get("sluice_direct_seconds"));
            return r;
        }
    }
}
