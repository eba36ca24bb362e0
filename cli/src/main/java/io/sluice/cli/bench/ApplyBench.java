package io.sluice.cli.bench;

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
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Catch-up of a backlog: Sluice's applier alone (from a stream already on Kafka) against
 * PostgreSQL's own logical replication (CREATE SUBSCRIPTION) applying the same backlog, in the
 * same run, onto identical embedded followers. Sluice's applier runs twice, onto two followers:
 * first with its code not yet compiled by the JIT (a freshly started process), then again (a
 * process that has been running). Every follower must end equal to the primary, or the run is
 * void.
 */
public final class ApplyBench {

    private static final List<String> TABLES = Pgbench.TABLES;

    private final Path dir;
    private final int transactions;
    private final int accounts;

    public ApplyBench(Path dir, int transactions, int accounts) {
        this.dir = dir;
        this.transactions = transactions;
        this.accounts = accounts;
    }

    /** CPU used during a phase, in core-seconds: this JVM (Sluice and the in-JVM broker) and every PostgreSQL process. */
    public record Cpu(double jvm, double postgres) {
        static Cpu now() {
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            return new Cpu(os.getProcessCpuTime() / 1e9, postgresCpuSeconds());
        }

        Cpu since(Cpu start) {
            return new Cpu(jvm - start.jvm, postgres - start.postgres);
        }

        String describe(double seconds) {
            return String.format(java.util.Locale.ROOT, "CPU %.2f core-s in the JVM + %.2f in PostgreSQL = %.2f of %d cores",
                    jvm, postgres, (jvm + postgres) / seconds, Runtime.getRuntime().availableProcessors());
        }
    }

    /** CPU of every process named postgres and of its exited children (Linux /proc, USER_HZ 100); 0 where /proc is missing. */
    static double postgresCpuSeconds() {
        long ticks = 0;
        java.io.File[] procs = new java.io.File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        if (procs == null) {
            return 0;
        }
        for (java.io.File proc : procs) {
            try {
                String stat = java.nio.file.Files.readString(proc.toPath().resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (open < 0 || close < 0 || !stat.substring(open + 1, close).equals("postgres")) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                // utime, stime, cutime, cstime (fields 14-17): a backend that exits moves its time
                // into the postmaster's cutime, so the sum never goes backwards.
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            } catch (java.io.IOException | RuntimeException gone) {
                // the process ended while we read it
            }
        }
        return ticks / 100.0;
    }

    /**
     * CPU ticks (1/100 s) of this JVM's threads by name, digits dropped so pools group together
     * ("GC Thread#", "C2 CompilerThre"), from /proc/self/task; empty where /proc is missing.
     */
    static Map<String, Long> jvmThreadTicks() {
        Map<String, Long> ticks = new java.util.TreeMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return ticks;
        }
        for (java.io.File task : tasks) {
            try {
                String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] f = stat.substring(close + 2).split(" ");
                String name = stat.substring(open + 1, close).replaceAll("[0-9]+", "#");
                ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
            } catch (java.io.IOException | RuntimeException gone) {
                // the thread ended while we read it
            }
        }
        return ticks;
    }

    /** The threads that used the most CPU between two {@link #jvmThreadTicks()} snapshots, as "name 1.23 s". */
    static String busiestThreads(Map<String, Long> before, Map<String, Long> after, int top) {
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .map(e -> String.format(java.util.Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue() / 100.0))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** One timed catch-up: seconds and the CPU each side used. */
    public record Run(double seconds, Cpu cpu) { }

    public record Result(int transactions, long rowEvents, Run cold, Run warm, Run reference) { }

    private static Run applyOnce(LocalPostgres follower, String name, Lsn target, Properties su, Map<String, Object> kafkaProps) {
        AtomicReference<Lsn> applied = new AtomicReference<>(Lsn.ZERO);
        Cpu cpu0 = Cpu.now();
        Map<String, Long> threads0 = jvmThreadTicks();
        long t0 = System.nanoTime();
        AtomicReference<Double> firstCommit = new AtomicReference<>();
        try (StreamApplier applier = new StreamApplier(ApplierConfig.of("bench", name, follower.jdbcUrl(), su, kafkaProps),
                a -> {
                    applied.set(a.commitLsn());
                    firstCommit.compareAndSet(null, (System.nanoTime() - t0) / 1e9);
                })) {
            applier.start();
            double started = (System.nanoTime() - t0) / 1e9;
            Await.until(Duration.ofMinutes(10), () -> "applier " + name + " to reach " + target + " (at " + applied.get() + ")",
                    () -> applied.get().compareTo(target) >= 0 || applier.state() == StreamApplier.State.FAILED);
            Run run = new Run((System.nanoTime() - t0) / 1e9, Cpu.now().since(cpu0));
            if (applier.state() == StreamApplier.State.FAILED) {
                throw new IllegalStateException("applier " + name + " failed; the run is void", applier.failure().orElse(null));
            }
            System.out.printf("  (applier %s: started in %.2f s, first follower commit at %.2f s; JVM threads: %s)%n", name, started,
                    firstCommit.get(), busiestThreads(threads0, jvmThreadTicks(), 8));
            return run;
        }
    }

    public Result run() throws Exception {
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalPostgres nativeFollower = LocalPostgres.start("native-follower", dir);
             LocalPostgres sluiceFollower = LocalPostgres.start("sluice-follower", dir);
             LocalPostgres warmFollower = LocalPostgres.start("sluice-follower-warm", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            for (LocalPostgres pg : List.of(primary, nativeFollower, sluiceFollower, warmFollower)) {
                Pgbench.schema(pg, accounts);
            }
            Pgbench.disabledSubscription(primary, nativeFollower);

            Properties su = BenchStack.superuser();
            Map<String, Object> kafkaProps = BenchStack.kafka(kafka);
            CaptureConfig cc = BenchStack.capture("bench", primary, kafka, TABLES.stream().map(t -> "public." + t).toList(), dir);
            Lsn target;
            try (CaptureService capture = new CaptureService(cc)) {
                capture.start();
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

            // Sluice's applier alone, from the filled stream: first in a fresh JVM state (cold: the
            // applier's code is not compiled yet), then a second applier onto a second follower (warm).
            Run cold = applyOnce(sluiceFollower, "sluice", target, su, kafkaProps);
            Run warm = applyOnce(warmFollower, "sluice_warm", target, su, kafkaProps);

            // Native logical replication, the same backlog.
            double nativeSeconds;
            Cpu nativeCpu;
            // Watched on one open connection through the subscription's replication origin (the
            // commit LSN of the last transaction it applied): as cheap as Sluice's listener, no
            // connection or table scan per poll taking CPU from the apply worker.
            try (java.sql.Connection watch = nativeFollower.connect();
                 java.sql.PreparedStatement origin = watch.prepareStatement(
                         "SELECT coalesce(max(remote_lsn), '0/0')::text FROM pg_replication_origin_status")) {
                Cpu cpu1 = Cpu.now();
                long t1 = System.nanoTime();
                nativeFollower.execute("ALTER SUBSCRIPTION bench_native ENABLE");
                Await.until(Duration.ofMinutes(10), () -> "the native subscription to reach " + target, () -> {
                    try (java.sql.ResultSet rs = origin.executeQuery()) {
                        return rs.next() && Lsn.parse(rs.getString(1)).compareTo(target) >= 0;
                    }
                });
                nativeSeconds = (System.nanoTime() - t1) / 1e9;
                nativeCpu = Cpu.now().since(cpu1);
            }

            for (LocalPostgres follower : List.of(sluiceFollower, warmFollower, nativeFollower)) {
                String differs = Pgbench.firstDifference(primary, follower);
                if (differs != null) {
                    throw new IllegalStateException("void run: follower " + follower.name() + " differs from the primary on " + differs);
                }
            }
            return new Result(transactions, rowEvents, cold, warm, new Run(nativeSeconds, nativeCpu));
        }
    }

    public static String report(Result r) {
        return String.format("apply catch-up, %d transactions / %d row events (pgbench TPC-B, 4 clients):%n"
                        + "  sluice applier, cold JVM    : %s%n"
                        + "  sluice applier, second pass : %s%n"
                        + "  native logical replication  : %s%n"
                        + "  ratio sluice/native: cold %.2fx, second pass %.2fx (every follower verified equal to the primary)",
                r.transactions(), r.rowEvents(), line(r, r.cold()), line(r, r.warm()), line(r, r.reference()),
                r.reference().seconds() / r.cold().seconds(), r.reference().seconds() / r.warm().seconds());
    }

    private static String line(Result r, Run run) {
        return String.format(java.util.Locale.ROOT, "%.2f s = %.0f rows/s, %.0f tx/s; %s", run.seconds(),
                r.rowEvents() / run.seconds(), r.transactions() / run.seconds(), run.cpu().describe(run.seconds()));
    }
}
