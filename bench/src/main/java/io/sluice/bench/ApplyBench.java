package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Catch-up of a backlog: Sluice's applier alone (from a stream already on Kafka) against
 * PostgreSQL's own logical replication (CREATE SUBSCRIPTION) applying the same backlog, in the
 * same run, onto identical embedded followers. Sluice's applier runs {@code passes} times in this
 * JVM, each onto its own follower: first with its code not yet compiled by the JIT, then again and
 * again (a process that has been running); then as {@code sluice apply} in a process of its own (a
 * freshly started applier). Every follower must end equal to the primary, or the run is void.
 */
public final class ApplyBench {

    private static final List<String> TABLES = Pgbench.TABLES;

    private final Path dir;
    private final int transactions;
    private final int accounts;
    private final int passes;
    private final ApplierConfig.Kind kind;

    /**
     * @param passes appliers run one after another in this JVM, each onto its own follower (at least 2)
     * @param kind   the followers' kind: PostgreSQL databases, change topics on the bench's broker, or DuckDB files
     */
    public ApplyBench(Path dir, int transactions, int accounts, int passes, ApplierConfig.Kind kind) {
        if (passes < 2) {
            throw new IllegalArgumentException("--passes must be at least 2 (a cold pass and a warm one), was " + passes);
        }
        this.dir = dir;
        this.transactions = transactions;
        this.accounts = accounts;
        this.passes = passes;
        this.kind = kind;
    }

    /** One timed catch-up: seconds and the CPU each side used. */
    public record Run(double seconds, Cpu cpu) { }

    /**
     * {@code process}: {@code sluice apply} started as a process of its own; {@code passes}: appliers
     * in this JVM, {@code passes.get(0)} cold, the last one the warmest.
     */
    public record Result(ApplierConfig.Kind kind, int transactions, long rowEvents, Run process, List<Run> passes, Run reference) { }

    /**
     * The applier as it runs in production after a restart: {@code sluice apply} in a JVM of its
     * own, started for this pass (JVM start, configuration, Flyway, consumer and JIT all inside the
     * timing), with this JVM's options. Timed from the process start until the follower's watermark
     * row reaches {@code target}, watched on one open connection.
     */
    private Run applyAsProcess(LocalPostgres follower, String name, Lsn backlogStart, Lsn target, LocalKafka kafka, Path dir)
            throws Exception {
        // The WAL position half-way through the backlog (pgbench's transactions are alike, so half
        // its WAL is about half its rows): the second half's rate is the process's once started.
        Lsn half = new Lsn(backlogStart.value() + target.minus(backlogStart) / 2);
        Path config = dir.resolve(name + ".properties");
        java.nio.file.Files.writeString(config, String.join("\n", "# written by sluice bench apply", "source.id = bench",
                "kafka.bootstrap.servers = " + kafka.bootstrapServers(), kind == ApplierConfig.Kind.TOPICS
                        ? ChangeTopicsFollower.configLines(name) : kind == ApplierConfig.Kind.DUCKDB ? DuckDbFollower.configLines(dir, name)
                        : "followers." + name + ".url = " + follower.jdbcUrl() + "\nfollowers." + name + ".user = postgres", ""));
        Path log = dir.resolve(name + ".log");
        List<String> command = ChildJvm.command("SLUICE_BENCH_APPLY_JAVA_OPTS", "io.sluice.cli.Main", "apply", "--config",
                config.toString(), "--follower", name);
        boolean inStore = kind == ApplierConfig.Kind.POSTGRESQL;
        try (Watch watermark = inStore ? Watch.watermark(follower, "bench") : null;
             GroupWatermark topics = inStore ? null : new GroupWatermark(BenchStack.kafka(kafka), name)) {
            AtomicReference<Lsn> applied = new AtomicReference<>(Lsn.ZERO);
            AtomicReference<Double> firstCommit = new AtomicReference<>();
            AtomicReference<Double> halfWay = new AtomicReference<>();
            Cpu.Mark start = Cpu.mark();
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                Await.until(Duration.ofMinutes(10), () -> "sluice apply (" + name + ") to reach " + target + " (at " + applied.get() + ")",
                        () -> {
                            if (!p.isAlive()) {
                                return true;
                            }
                            // null until Flyway has created the bookkeeping, or the topics follower committed
                            Lsn lsn = topics != null ? topics.applied() : Optional.ofNullable(watermark.value()).map(Lsn::parse)
                                    .orElse(Lsn.ZERO);
                            if (!lsn.equals(Lsn.ZERO)) {
                                applied.set(lsn);
                                firstCommit.compareAndSet(null, (System.nanoTime() - t0) / 1e9);
                                if (applied.get().compareTo(half) >= 0) {
                                    halfWay.compareAndSet(null, (System.nanoTime() - t0) / 1e9);
                                }
                            }
                            return applied.get().compareTo(target) >= 0;
                        });
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (!p.isAlive()) {
                    throw new IllegalStateException("sluice apply (" + name + ") exited with " + p.exitValue() + " before reaching "
                            + target + "; the run is void. Its log, " + log + ":\n" + java.nio.file.Files.readString(log));
                }
                Run run = new Run(seconds, Cpu.since(start).withProcess(p.pid()));
                System.out.printf("  (sluice apply %s: first follower commit at %.2f s, half the backlog's WAL at %.2f s, the second half"
                        + " in %.2f s; its JVM's threads: %s; this JVM's: %s)%n", name, firstCommit.get(), halfWay.get(),
                        seconds - halfWay.get(), Cpu.busiestThreads(p.pid(), 8), Cpu.busiestThreads(start, 6));
                return run;
            } finally {
                p.destroy();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private Run applyOnce(LocalPostgres follower, String name, Lsn target, Properties su, Map<String, Object> kafkaProps) {
        AtomicReference<Lsn> applied = new AtomicReference<>(Lsn.ZERO);
        Cpu.Mark start = Cpu.mark();
        long t0 = System.nanoTime();
        AtomicReference<Double> firstCommit = new AtomicReference<>();
        ApplierConfig config = switch (kind) {
            case TOPICS -> ChangeTopicsFollower.config(name, kafkaProps);
            case DUCKDB -> DuckDbFollower.config(dir, name, kafkaProps);
            case POSTGRESQL -> ApplierConfig.of("bench", name, follower.jdbcUrl(), su, kafkaProps);
        };
        try (StreamApplier applier = new StreamApplier(config,
                a -> {
                    applied.set(a.commitLsn());
                    firstCommit.compareAndSet(null, (System.nanoTime() - t0) / 1e9);
                })) {
            applier.start();
            double started = (System.nanoTime() - t0) / 1e9;
            Await.until(Duration.ofMinutes(10), () -> "applier " + name + " to reach " + target + " (at " + applied.get() + ")",
                    () -> applied.get().compareTo(target) >= 0 || applier.state() == StreamApplier.State.FAILED);
            Run run = new Run((System.nanoTime() - t0) / 1e9, Cpu.since(start));
            if (applier.state() == StreamApplier.State.FAILED) {
                throw new IllegalStateException("applier " + name + " failed; the run is void", applier.failure().orElse(null));
            }
            System.out.printf("  (applier %s: started in %.2f s, first follower commit at %.2f s; JVM threads: %s)%n", name, started,
                    firstCommit.get(), Cpu.busiestThreads(start, 8));
            return run;
        }
    }

    public Result run() throws Exception {
        List<LocalPostgres> followers = new java.util.ArrayList<>();
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalPostgres nativeFollower = LocalPostgres.start("native-follower", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            for (int i = 0; i <= passes; i++) {
                followers.add(LocalPostgres.start("sluice-follower-" + i, dir));
            }
            Pgbench.schema(primary, accounts);
            Pgbench.schema(nativeFollower, accounts);
            for (LocalPostgres pg : followers) {
                Pgbench.schema(pg, accounts);
            }
            if (kind == ApplierConfig.Kind.DUCKDB) { // each pass's file seeded as its PostgreSQL follower is
                for (int i = 0; i < followers.size(); i++) {
                    DuckDbFollower.seed(followers.get(i), dir, "sluice_" + i, TABLES.stream().map(t -> "public." + t).toList());
                }
            }
            Pgbench.disabledSubscription(primary, nativeFollower);

            Properties su = BenchStack.superuser();
            Map<String, Object> kafkaProps = BenchStack.kafka(kafka);
            CaptureConfig cc = BenchStack.capture("bench", primary, kafka, TABLES.stream().map(t -> "public." + t).toList(), dir);
            Lsn target;
            Lsn backlogStart;
            try (CaptureService capture = new CaptureService(cc)) {
                capture.start();
                backlogStart = Lsn.parse(primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
                Pgbench.backlog(primary, transactions, accounts, 0);
                // A marker transaction after the workload, replicated by both sides (one row of a
                // published table): its commit LSN is the target.
                Lsn before = Lsn.parse(primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
                primary.execute("UPDATE pgbench_branches SET filler = 'end of backlog' WHERE bid = 1");
                Await.until(Duration.ofMinutes(10), () -> "capture to put the backlog on Kafka (at " + capture.lastCommittedLsn()
                        + ", marker after " + before + ")", () -> capture.lastCommittedLsn().isAfter(before));
                target = capture.lastCommittedLsn();
            }
            long rowEvents = Pgbench.rowEvents(transactions, 0);

            // Sluice's applier alone, from the filled stream: in this JVM — first cold (the applier's
            // code not compiled yet), then further appliers onto further followers —, then `sluice
            // apply` as a process of its own, when this JVM (the broker) has long compiled what it
            // runs. The backlog's dead rows on the primary are vacuumed first, and each follower is
            // checked and stopped after its pass, so no autovacuum of an earlier phase takes CPU
            // from a later one.
            primary.execute("VACUUM");
            readStream(kafkaProps);
            List<Run> runs = new java.util.ArrayList<>();
            for (int i = 1; i <= passes; i++) {
                runs.add(applyOnce(followers.get(i), "sluice_" + i, target, su, kafkaProps));
                requireEqual(primary, followers.get(i), "sluice_" + i, kafkaProps);
                followers.get(i).close();
            }
            Run process = applyAsProcess(followers.get(0), "sluice_0", backlogStart, target, kafka, dir);
            requireEqual(primary, followers.get(0), "sluice_0", kafkaProps);
            followers.get(0).close();

            // Native logical replication, the same backlog.
            double nativeSeconds;
            Cpu nativeCpu;
            // Watched on one open connection through the subscription's replication origin (the
            // commit LSN of the last transaction it applied): as cheap as Sluice's listener, no
            // connection or table scan per poll taking CPU from the apply worker.
            try (Watch origin = new Watch(nativeFollower, "SELECT coalesce(max(remote_lsn), '0/0')::text FROM pg_replication_origin_status")) {
                Cpu.Mark start = Cpu.mark();
                long t1 = System.nanoTime();
                nativeFollower.execute("ALTER SUBSCRIPTION bench_native ENABLE");
                Await.until(Duration.ofMinutes(10), () -> "the native subscription to reach " + target,
                        () -> Lsn.parse(origin.value()).compareTo(target) >= 0);
                nativeSeconds = (System.nanoTime() - t1) / 1e9;
                nativeCpu = Cpu.since(start);
            }

            requireEqual(primary, nativeFollower);
            return new Result(kind, transactions, rowEvents, process, runs, new Run(nativeSeconds, nativeCpu));
        } finally {
            followers.forEach(LocalPostgres::close);
        }
    }

    /**
     * Reads the whole stream once with a plain consumer, discarded: the broker has then served
     * fetches of it (its fetch path compiled, the log in the page cache), as a broker that has been
     * running does when an applier restarts; the appliers' timings are the applier's.
     */
    private static void readStream(Map<String, Object> kafkaProps) {
        Map<String, Object> props = new java.util.HashMap<>(kafkaProps);
        props.put("group.id", "bench-read-ahead");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(io.sluice.format.TopicNames.stream("bench")).stream()
                    .map(pi -> new org.apache.kafka.common.TopicPartition(pi.topic(), pi.partition())).toList();
            consumer.assign(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            Await.until(Duration.ofMinutes(5), () -> "a plain consumer to read the stream to its end " + end, () -> {
                consumer.poll(Duration.ofMillis(100));
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }
    }

    private void requireEqual(LocalPostgres primary, LocalPostgres follower, String name, Map<String, Object> kafkaProps)
            throws Exception {
        if (kind == ApplierConfig.Kind.TOPICS) {
            ChangeTopicsFollower.requireEqual(primary, follower, kafkaProps, name, TABLES.stream().map(t -> "public." + t).toList());
            return;
        }
        if (kind == ApplierConfig.Kind.DUCKDB) {
            DuckDbFollower.requireEqual(primary, dir, name, TABLES.stream().map(t -> "public." + t).toList());
            return;
        }
        requireEqual(primary, follower);
    }

    private static void requireEqual(LocalPostgres primary, LocalPostgres follower) throws java.sql.SQLException {
        String differs = Pgbench.firstDifference(primary, follower);
        if (differs != null) {
            throw new IllegalStateException("void run: follower " + follower.name() + " differs from the primary on " + differs);
        }
    }

    public static String report(Result r) {
        StringBuilder out = new StringBuilder(String.format("apply catch-up onto %s, %d transactions / %d row events (pgbench TPC-B,"
                + " 4 clients):%n", switch (r.kind()) {
                    case TOPICS -> "change topics";
                    case DUCKDB -> "DuckDB files";
                    case POSTGRESQL -> "PostgreSQL followers";
                }, r.transactions(),
                r.rowEvents()));
        out.append(String.format("  sluice apply, own process   : %s%n", line(r, r.process())));
        for (int i = 0; i < r.passes().size(); i++) {
            out.append(String.format("  sluice applier, %-12s: %s%n", i == 0 ? "cold JVM" : "pass " + (i + 1), line(r, r.passes().get(i))));
        }
        out.append(String.format("  native logical replication  : %s%n", line(r, r.reference())));
        out.append(String.format(java.util.Locale.ROOT, "  ratio sluice/native: own process %.2fx,", r.reference().seconds() / r.process().seconds()));
        for (int i = 0; i < r.passes().size(); i++) {
            out.append(String.format(java.util.Locale.ROOT, "%s %s %.2fx", i == 0 ? "" : ",", i == 0 ? "cold" : "pass " + (i + 1),
                    r.reference().seconds() / r.passes().get(i).seconds()));
        }
        return out.append(" (every follower verified equal to the primary)").toString();
    }

    private static String line(Result r, Run run) {
        return String.format(java.util.Locale.ROOT, "%.2f s = %.0f rows/s, %.0f tx/s; %s", run.seconds(),
                r.rowEvents() / run.seconds(), r.transactions() / run.seconds(), run.cpu().describe(run.seconds()));
    }
}
