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
 * same run, onto identical embedded followers. Sluice's applier runs {@code passes} times, each
 * onto its own follower: first with its code not yet compiled by the JIT (a freshly started
 * process), then again and again (a process that has been running). Every follower must end
 * equal to the primary, or the run is void.
 */
public final class ApplyBench {

    private static final List<String> TABLES = Pgbench.TABLES;

    private final Path dir;
    private final int transactions;
    private final int accounts;
    private final int passes;

    /** @param passes appliers run one after another in this JVM, each onto its own follower (at least 2) */
    public ApplyBench(Path dir, int transactions, int accounts, int passes) {
        if (passes < 2) {
            throw new IllegalArgumentException("--passes must be at least 2 (a cold pass and a warm one), was " + passes);
        }
        this.dir = dir;
        this.transactions = transactions;
        this.accounts = accounts;
        this.passes = passes;
    }

    /** One timed catch-up: seconds and the CPU each side used. */
    public record Run(double seconds, Cpu cpu) { }

    /** {@code passes.get(0)} is the cold pass; the last one the warmest. */
    public record Result(int transactions, long rowEvents, List<Run> passes, Run reference) { }

    private static Run applyOnce(LocalPostgres follower, String name, Lsn target, Properties su, Map<String, Object> kafkaProps) {
        AtomicReference<Lsn> applied = new AtomicReference<>(Lsn.ZERO);
        Cpu.Mark start = Cpu.mark();
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
            for (int i = 1; i <= passes; i++) {
                followers.add(LocalPostgres.start("sluice-follower-" + i, dir));
            }
            Pgbench.schema(primary, accounts);
            Pgbench.schema(nativeFollower, accounts);
            for (LocalPostgres pg : followers) {
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
            // applier's code is not compiled yet), then further appliers onto further followers.
            // The backlog's dead rows on the primary are vacuumed first, and each follower is checked
            // and stopped after its pass, so no autovacuum of an earlier phase takes CPU from a later one.
            primary.execute("VACUUM");
            List<Run> runs = new java.util.ArrayList<>();
            for (int i = 0; i < passes; i++) {
                runs.add(applyOnce(followers.get(i), "sluice_" + (i + 1), target, su, kafkaProps));
                requireEqual(primary, followers.get(i));
                followers.get(i).close();
            }

            // Native logical replication, the same backlog.
            double nativeSeconds;
            Cpu nativeCpu;
            // Watched on one open connection through the subscription's replication origin (the
            // commit LSN of the last transaction it applied): as cheap as Sluice's listener, no
            // connection or table scan per poll taking CPU from the apply worker.
            try (java.sql.Connection watch = nativeFollower.connect();
                 java.sql.PreparedStatement origin = watch.prepareStatement(
                         "SELECT coalesce(max(remote_lsn), '0/0')::text FROM pg_replication_origin_status")) {
                Cpu.Mark start = Cpu.mark();
                long t1 = System.nanoTime();
                nativeFollower.execute("ALTER SUBSCRIPTION bench_native ENABLE");
                Await.until(Duration.ofMinutes(10), () -> "the native subscription to reach " + target, () -> {
                    try (java.sql.ResultSet rs = origin.executeQuery()) {
                        return rs.next() && Lsn.parse(rs.getString(1)).compareTo(target) >= 0;
                    }
                });
                nativeSeconds = (System.nanoTime() - t1) / 1e9;
                nativeCpu = Cpu.since(start);
            }

            requireEqual(primary, nativeFollower);
            return new Result(transactions, rowEvents, runs, new Run(nativeSeconds, nativeCpu));
        } finally {
            followers.forEach(LocalPostgres::close);
        }
    }

    private static void requireEqual(LocalPostgres primary, LocalPostgres follower) throws java.sql.SQLException {
        String differs = Pgbench.firstDifference(primary, follower);
        if (differs != null) {
            throw new IllegalStateException("void run: follower " + follower.name() + " differs from the primary on " + differs);
        }
    }

    public static String report(Result r) {
        StringBuilder out = new StringBuilder(String.format("apply catch-up, %d transactions / %d row events (pgbench TPC-B, 4 clients):%n",
                r.transactions(), r.rowEvents()));
        for (int i = 0; i < r.passes().size(); i++) {
            out.append(String.format("  sluice applier, %-12s: %s%n", i == 0 ? "cold JVM" : "pass " + (i + 1), line(r, r.passes().get(i))));
        }
        out.append(String.format("  native logical replication  : %s%n", line(r, r.reference())));
        out.append("  ratio sluice/native:");
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
