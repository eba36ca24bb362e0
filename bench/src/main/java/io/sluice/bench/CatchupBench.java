package io.sluice.bench;

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
 * Capture and the applier run as deployed, each in a process of its own kept up across the runs
 * ({@link SluiceProcesses}).
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
    private final SluiceProcesses sluice;

    public CatchupBench(Path dir, Scale scale, KafkaProcess broker, SluiceProcesses sluice) {
        this.dir = dir;
        this.scale = scale;
        this.broker = broker;
        this.sluice = sluice;
    }

    private ServiceProcess.Remote capture(String role, LocalPostgres primary, List<String> tables, Path state) {
        return sluice.capture().capture(source(role), primary.jdbcUrl(), broker.bootstrapServers(), tables, state);
    }

    private ServiceProcess.Remote applier(String role, String follower, LocalPostgres store) {
        return sluice.applier().applier(source(role), follower, store.jdbcUrl(), broker.bootstrapServers());
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
            for (LocalPostgres pg : List.of(primary, nativeFollower, applyFollower, e2eFollower)) {
                Pgbench.schema(pg, scale.accounts);
            }
            List<String> tables = Pgbench.TABLES.stream().map(t -> "public." + t).toList();
            Pgbench.disabledSubscription(primary, nativeFollower);
            // The end-to-end capture's slot exists before the backlog, and so do capture-alone's and the
            // server's own (read by SQL for its decoding ceiling); those captures themselves are stopped.
            for (String slot : List.of("e2e", "drain")) {
                capture(slot, primary, tables, dir.resolve(slot)).close();
            }
            // So do the appliers' bookkeeping schemas on their followers, as native's subscription
            // exists before its backlog: a timed phase starts an applier that has run before.
            applier("e2e", "e2e", e2eFollower).close();
            primary.execute("SELECT pg_create_logical_replication_slot('" + CEILING_SLOT + "', 'pgoutput')");
            long t0 = System.nanoTime();
            double captureSeconds;
            io.sluice.format.Lsn end;
            try (ServiceProcess.Remote capture = capture("bench", primary, tables, dir)) {
                applier("bench", "apply", applyFollower).close(); // its stream exists now
                Pgbench.backlog(primary, scale.transactions, scale.accounts, scale.wideRows);
                double written = (System.nanoTime() - t0) / 1e9;
                // A transactional message after the backlog: once its frame is on Kafka, all of it is.
                end = io.sluice.format.Lsn.parse(primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
                primary.execute("SELECT pg_logical_emit_message(true, 'sluice.bench.end', 'end')");
                capture.await("capture to put the backlog on Kafka", () -> capture.lastCommittedLsn().isAfter(end));
                captureSeconds = (System.nanoTime() - t0) / 1e9 - written;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("transactions", Pgbench.transactions(scale.transactions, scale.wideRows));
            r.put("row_events", Pgbench.rowEvents(scale.transactions, scale.wideRows));

            List<LocalPostgres> servers = List.of(primary, nativeFollower, applyFollower, e2eFollower);
            QuietMachine.await(servers, sluice.capture().pid(), sluice.applier().pid());
            try (Watch marker = Pgbench.markerWatch(applyFollower);
                 ServiceProcess.Remote applier = applier("bench", "apply", applyFollower)) {
                long t1 = System.nanoTime();
                SluiceProcesses.Usage cpu = sluice.usage();
                applier.await("the applier alone to apply the backlog", () -> Pgbench.markerSeen(marker));
                // Timed to the backlog applied, as native is, not to the applier closed.
                r.put("sluice_apply_seconds", (System.nanoTime() - t1) / 1e9);
                SluiceProcesses.Usage used = sluice.usage().since(cpu);
                r.put("apply_cpu_applier_process_seconds", used.applier());
                r.put("apply_cpu_of_which_jit_seconds", used.applierJit());
            }

            QuietMachine.await(servers, sluice.capture().pid(), sluice.applier().pid());
            {
                long t = System.nanoTime();
                SluiceProcesses.Usage cpu = sluice.usage();
                Cpu.Mark primaryCpu = Cpu.mark();
                Map<String, Long> threads = Cpu.threadTicks(sluice.capture().pid());
                try (ServiceProcess.Remote drain = capture("drain", primary, tables, dir.resolve("drain"))) {
                    drain.await("capture alone to put the backlog on Kafka", () -> drain.lastCommittedLsn().isAfter(end));
                    // Timed to the backlog on Kafka, not to capture closed; its threads read before
                    // the close, as an ended thread leaves /proc.
                    r.put("capture_alone_seconds", (System.nanoTime() - t) / 1e9);
                    SluiceProcesses.Usage used = sluice.usage().since(cpu);
                    r.put("capture_alone_cpu_capture_process_seconds", used.capture());
                    r.put("capture_alone_cpu_of_which_jit_seconds", used.captureJit());
                    // The walsender, mostly: what the primary spends streaming the backlog to one reader.
                    r.put("capture_alone_cpu_postgres_seconds", Cpu.since(primaryCpu).postgres());
                    System.out.printf("  (capture alone: %.2f s; its process's busiest threads: %s)%n", (System.nanoTime() - t) / 1e9,
                            Cpu.busiestThreads(sluice.capture().pid(), threads, 6));
                }
            }
            long tc = System.nanoTime();
            long messages = Long.parseLong(primary.queryScalar("SELECT count(*) FROM pg_logical_slot_get_binary_changes('" + CEILING_SLOT
                    + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'sluice_" + source("e2e") + "', 'messages', 'true')"));
            r.put("server_decoding_seconds", (System.nanoTime() - tc) / 1e9);
            r.put("server_decoding_messages", messages);

            QuietMachine.await(servers, sluice.capture().pid(), sluice.applier().pid());
            try (Watch marker = Pgbench.markerWatch(nativeFollower)) {
                Cpu.Mark cpu = Cpu.mark();
                long t2 = System.nanoTime();
                nativeFollower.execute("ALTER SUBSCRIPTION bench_native ENABLE");
                Await.until(Duration.ofMinutes(10), () -> "native logical replication to apply the backlog", () -> Pgbench.markerSeen(marker));
                r.put("native_seconds", (System.nanoTime() - t2) / 1e9);
                r.put("native_cpu_postgres_seconds", Cpu.since(cpu).postgres());
                r.put("native_cpu_of_which_primary_seconds", Cpu.postgresSeconds(cpu, primary.postmasterPid()));
            }
            nativeFollower.execute("ALTER SUBSCRIPTION bench_native DISABLE");

            QuietMachine.await(servers, sluice.capture().pid(), sluice.applier().pid());
            Cpu.Mark e2eCpu = Cpu.mark();
            SluiceProcesses.Usage e2eUsage = sluice.usage();
            double brokerCpu = Cpu.processSeconds(broker.pid());
            Map<String, Long> captureThreads = Cpu.threadTicks(sluice.capture().pid());
            Map<String, Long> applierThreads = Cpu.threadTicks(sluice.applier().pid());
            // The watch's connection is opened before the clock starts, as native's is.
            try (Watch marker = Pgbench.markerWatch(e2eFollower)) {
                long e2eStart = System.nanoTime();
                // The applier first, as deployed: it waits on the stream while capture starts.
                try (ServiceProcess.Remote applier = applier("e2e", "e2e", e2eFollower);
                     ServiceProcess.Remote e2e = capture("e2e", primary, tables, dir.resolve("e2e"))) {
                    applier.await("Sluice end to end to apply the backlog", () -> Pgbench.markerSeen(marker));
                    // Timed to the backlog applied, as native is, not to capture and applier closed.
                    r.put("sluice_e2e_seconds", (System.nanoTime() - e2eStart) / 1e9);
                    // Where an end-to-end catch-up's CPU goes, against native's above (core-seconds).
                    Cpu cpu = Cpu.since(e2eCpu);
                    SluiceProcesses.Usage used = sluice.usage().since(e2eUsage);
                    r.put("e2e_cpu_capture_process_seconds", used.capture());
                    r.put("e2e_cpu_of_which_capture_jit_seconds", used.captureJit());
                    r.put("e2e_cpu_applier_process_seconds", used.applier());
                    r.put("e2e_cpu_of_which_applier_jit_seconds", used.applierJit());
                    r.put("e2e_cpu_broker_seconds", Cpu.processSeconds(broker.pid()) - brokerCpu);
                    r.put("e2e_cpu_postgres_seconds", cpu.postgres());
                    r.put("e2e_cpu_of_which_primary_seconds", Cpu.postgresSeconds(e2eCpu, primary.postmasterPid()));
                    r.put("e2e_cpu_bench_jvm_seconds", cpu.jvm());
                    System.out.printf("  (end to end: %.2f s; the capture process's busiest threads: %s; the applier process's: %s)%n",
                            (System.nanoTime() - e2eStart) / 1e9, Cpu.busiestThreads(sluice.capture().pid(), captureThreads, 5),
                            Cpu.busiestThreads(sluice.applier().pid(), applierThreads, 5));
                }
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
