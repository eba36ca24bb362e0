package io.sluice.cli.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.KafkaProcess;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Catch-up of one backlog, three ways, in one run on one machine: Sluice end to end (capture →
 * Kafka → applier, started after the backlog was written), Sluice's applier alone (from the
 * backlog already on Kafka), and PostgreSQL's logical replication (a subscription enabled after
 * the backlog). Every follower must end equal to the primary, table by table, or the run is void.
 * Capture alone (the backlog from its own slot onto Kafka, no applier) is timed against the server's
 * own decoding of the same backlog ({@code pg_logical_slot_get_binary_changes} with pgoutput and
 * capture's options, counted in SQL: the ceiling no client of the walsender can pass).
 */
public final class CatchupBench {

    /** How much backlog. */
    public enum Scale {
        TINY(2_000, 10_000, 500), SMALL(20_000, 100_000, 5_000), MEDIUM(100_000, 100_000, 20_000),
        /** 1,000,001 row events. */
        LARGE(240_000, 100_000, 20_000);

        final int transactions;
        final int accounts;
        final int wideRows;

        Scale(int transactions, int accounts, int wideRows) {
            this.transactions = transactions;
            this.accounts = accounts;
            this.wideRows = wideRows;
        }
    }

    private static final String CEILING_SLOT = "bench_ceiling";

    private final Path dir;
    private final Scale scale;
    private final KafkaProcess broker;

    public CatchupBench(Path dir, Scale scale, KafkaProcess broker) {
        this.dir = dir;
        this.scale = scale;
        this.broker = broker;
    }

    private String source(String role) {
        return BenchStack.source(dir, role);
    }

    /** One run's measurements (seconds) and whether every follower equalled the primary. */
    public Map<String, Object> run() throws Exception {
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalPostgres nativeFollower = LocalPostgres.start("native", dir);
             LocalPostgres applyFollower = LocalPostgres.start("sluice-apply", dir);
             LocalPostgres e2eFollower = LocalPostgres.start("sluice-e2e", dir)) {
            Map<String, Object> kafka = BenchStack.kafka(broker.bootstrapServers());
            for (LocalPostgres pg : List.of(primary, nativeFollower, applyFollower, e2eFollower)) {
                Pgbench.schema(pg, scale.accounts);
            }
            List<String> tables = Pgbench.TABLES.stream().map(t -> "public." + t).toList();
            Pgbench.disabledSubscription(primary, nativeFollower);
            // The end-to-end capture's slot exists before the backlog, and so do capture-alone's and the
            // server's own (read by SQL for its decoding ceiling); those captures themselves are stopped.
            for (String slot : List.of("e2e", "drain")) {
                try (CaptureService c = new CaptureService(BenchStack.capture(source(slot), primary, kafka, tables, dir.resolve(slot)))) {
                    c.start();
                }
            }
            primary.execute("SELECT pg_create_logical_replication_slot('" + CEILING_SLOT + "', 'pgoutput')");
            long t0 = System.nanoTime();
            double captureSeconds;
            io.sluice.format.Lsn end;
            try (CaptureService capture = new CaptureService(BenchStack.capture(source("bench"), primary, kafka, tables, dir))) {
                capture.start();
                Pgbench.backlog(primary, scale.transactions, scale.accounts, scale.wideRows);
                double written = (System.nanoTime() - t0) / 1e9;
                // A transactional message after the backlog: once its frame is on Kafka, all of it is.
                end = io.sluice.format.Lsn.parse(primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
                primary.execute("SELECT pg_logical_emit_message(true, 'sluice.bench.end', 'end')");
                Await.until(Duration.ofMinutes(10), () -> "capture to put the backlog on Kafka (at " + capture.lastCommittedLsn() + ")",
                        () -> capture.lastCommittedLsn().isAfter(end));
                captureSeconds = (System.nanoTime() - t0) / 1e9 - written;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("transactions", Pgbench.transactions(scale.transactions, scale.wideRows));
            r.put("row_events", Pgbench.rowEvents(scale.transactions, scale.wideRows));

            List<LocalPostgres> servers = List.of(primary, nativeFollower, applyFollower, e2eFollower);
            QuietMachine.await(servers);
            try (Watch marker = Pgbench.markerWatch(applyFollower);
                 StreamApplier applier = new StreamApplier(ApplierConfig.of(source("bench"), "apply", applyFollower.jdbcUrl(),
                    BenchStack.superuser(), kafka))) {
                long t1 = System.nanoTime();
                applier.start();
                Await.until(Duration.ofMinutes(10), () -> "the applier alone to apply the backlog", () -> Pgbench.markerSeen(marker)
                        || applier.state() == StreamApplier.State.FAILED);
                // Timed to the backlog applied, as native is, not to the applier closed.
                r.put("sluice_apply_seconds", (System.nanoTime() - t1) / 1e9);
            }

            QuietMachine.await(servers);
            try (CaptureService drain = new CaptureService(BenchStack.capture(source("drain"), primary, kafka, tables, dir.resolve("drain")))) {
                long t = System.nanoTime();
                drain.start();
                Await.until(Duration.ofMinutes(10), () -> "capture alone to put the backlog on Kafka (at " + drain.lastCommittedLsn() + ")",
                        () -> drain.lastCommittedLsn().isAfter(end) || drain.state() == CaptureService.State.FAILED);
                if (drain.state() == CaptureService.State.FAILED) {
                    throw new IllegalStateException("capture alone failed", drain.failure().orElse(null));
                }
                r.put("capture_alone_seconds", (System.nanoTime() - t) / 1e9);
            }
            long tc = System.nanoTime();
            long messages = Long.parseLong(primary.queryScalar("SELECT count(*) FROM pg_logical_slot_get_binary_changes('" + CEILING_SLOT
                    + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'sluice_" + source("e2e") + "', 'messages', 'true')"));
            r.put("server_decoding_seconds", (System.nanoTime() - tc) / 1e9);
            r.put("server_decoding_messages", messages);

            QuietMachine.await(servers);
            try (Watch marker = Pgbench.markerWatch(nativeFollower)) {
                Cpu.Mark cpu = Cpu.mark();
                long t2 = System.nanoTime();
                nativeFollower.execute("ALTER SUBSCRIPTION bench_native ENABLE");
                Await.until(Duration.ofMinutes(10), () -> "native logical replication to apply the backlog", () -> Pgbench.markerSeen(marker));
                r.put("native_seconds", (System.nanoTime() - t2) / 1e9);
                r.put("native_cpu_postgres_seconds", Cpu.since(cpu).postgres());
            }
            nativeFollower.execute("ALTER SUBSCRIPTION bench_native DISABLE");

            QuietMachine.await(servers);
            try (Watch marker = Pgbench.markerWatch(e2eFollower);
                 CaptureService e2e = new CaptureService(BenchStack.capture(source("e2e"), primary, kafka, tables, dir.resolve("e2e")));
                 StreamApplier applier = new StreamApplier(ApplierConfig.of(source("e2e"), "e2e", e2eFollower.jdbcUrl(),
                         BenchStack.superuser(), kafka))) {
                Cpu.Mark e2eCpu = Cpu.mark();
                double brokerCpu = Cpu.processSeconds(broker.pid());
                long t3 = System.nanoTime();
                // The applier first, as deployed: it waits on the stream while capture starts.
                applier.start();
                e2e.start();
                Await.until(Duration.ofMinutes(10), () -> "Sluice end to end to apply the backlog", () -> Pgbench.markerSeen(marker)
                        || applier.state() == StreamApplier.State.FAILED);
                // Timed to the backlog applied, as native is, not to capture and applier closed.
                r.put("sluice_e2e_seconds", (System.nanoTime() - t3) / 1e9);
                // Where an end-to-end catch-up's CPU goes, against native's above (core-seconds).
                Cpu cpu = Cpu.since(e2eCpu);
                r.put("e2e_cpu_sluice_jvm_seconds", cpu.jvm());
                r.put("e2e_cpu_broker_seconds", Cpu.processSeconds(broker.pid()) - brokerCpu);
                r.put("e2e_cpu_postgres_seconds", cpu.postgres());
                r.put("e2e_cpu_of_which_jit_seconds", Cpu.compilerSeconds(e2eCpu));
            }
            r.put("capture_drain_seconds", captureSeconds); // from the backlog written to all of it on Kafka
            String differs = null;
            for (Map.Entry<String, LocalPostgres> f : Map.of("native", nativeFollower, "sluice-apply", applyFollower,
                    "sluice-e2e", e2eFollower).entrySet()) {
                String table = Pgbench.firstDifference(primary, f.getValue());
                if (table != null) {
                    differs = f.getKey() + " differs from the primary on " + table;
                }
            }
            r.put("equal", differs == null);
            if (differs != null) {
                r.put("void_because", differs);
            }
            double rows = ((Number) r.get("row_events")).doubleValue();
            r.put("sluice_apply_rows_per_second", rows / (double) r.get("sluice_apply_seconds"));
            r.put("native_rows_per_second", rows / (double) r.get("native_seconds"));
            r.put("sluice_e2e_rows_per_second", rows / (double) r.get("sluice_e2e_seconds"));
            r.put("apply_vs_native", (double) r.get("native_seconds") / (double) r.get("sluice_apply_seconds"));
            r.put("e2e_vs_native", (double) r.get("native_seconds") / (double) r.get("sluice_e2e_seconds"));
            r.put("capture_alone_vs_server_decoding", (double) r.get("server_decoding_seconds") / (double) r.get("capture_alone_seconds"));
            return r;
        }
    }

}
