package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import io.sluice.monitor.Status;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The lag monitor's own cost: a primary under a steady write load, capture, N followers with
 * their appliers, and the monitor evaluating every second. Counts what it issues to the primary,
 * the followers and Kafka per second, and the CPU its evaluation thread uses.
 */
public final class MonitorBench {

    private static final String SOURCE = "bench";

    private final Path dir;
    private final int followers;
    private final int rate;
    private final Duration duration;

    public MonitorBench(Path dir, int followers, int rate, Duration duration) {
        this.dir = dir;
        this.followers = followers;
        this.rate = rate;
        this.duration = duration;
    }

    public String run() throws Exception {
        List<LocalPostgres> stores = new ArrayList<>();
        List<StreamApplier> appliers = new ArrayList<>();
        try (LocalPostgres primary = LocalPostgres.start("bench-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            primary.execute("CREATE TABLE bench (id bigint PRIMARY KEY, v int, payload text)");
            for (int i = 0; i < followers; i++) {
                stores.add(LocalPostgres.start("bench-follower-" + i, dir));
            }
            try (CaptureService capture = new CaptureService(BenchStack.capture(SOURCE, primary, kafka,
                    List.of("public.bench"), dir))) {
                capture.start();
                List<MonitorConfig.FollowerTarget> targets = new ArrayList<>();
                for (int i = 0; i < followers; i++) {
                    StreamApplier a = new StreamApplier(ApplierConfig.of(SOURCE, "f" + i, stores.get(i).jdbcUrl(),
                            BenchStack.superuser(), BenchStack.kafka(kafka)));
                    a.start();
                    appliers.add(a);
                    targets.add(new MonitorConfig.FollowerTarget("f" + i, new MonitorConfig.Endpoint(stores.get(i).jdbcUrl(),
                            BenchStack.superuser()), false, Rule.stalenessDefaults()));
                }
                AtomicBoolean writing = new AtomicBoolean(true);
                AtomicLong written = new AtomicLong();
                Thread load = new Thread(() -> write(primary, writing, written), "bench-load");
                load.start();
                Await.until(Duration.ofSeconds(60), () -> "every follower applying", () -> appliers.stream()
                        .allMatch(a -> a.applied().isPresent()));
                MonitorConfig mc = new MonitorConfig(SOURCE, new MonitorConfig.Endpoint(primary.jdbcUrl(), BenchStack.superuser()),
                        "sluice_" + SOURCE, BenchStack.kafka(kafka), targets, Duration.ofSeconds(1), Rule.stalenessDefaults(),
                        Rule.slotDefaults(), MonitorConfig.Http.disabled(), MonitorConfig.Webhooks.none());
                try (LagMonitor monitor = new LagMonitor(mc, Clock.systemUTC())) {
                    monitor.start();
                    Await.until(Duration.ofSeconds(30), () -> "a first evaluation", () -> monitor.status().isPresent());
                    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                    long tid = Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("sluice-monitor-" + SOURCE)).findFirst().orElseThrow().getId();
                    io.sluice.monitor.SelfStats before = monitor.selfStats();
                    long cpu0 = threads.getThreadCpuTime(tid);
                    long t0 = System.nanoTime();
                    List<Double> evaluationSeconds = new ArrayList<>();
                    long lastEvaluation = before.evaluations();
                    long end = t0 + duration.toNanos();
                    while (System.nanoTime() < end) {
                        long n = lastEvaluation;
                        Await.until(Duration.ofSeconds(10), () -> "the next evaluation", () -> monitor.selfStats().evaluations() > n);
                        io.sluice.monitor.SelfStats s = monitor.selfStats();
                        lastEvaluation = s.evaluations();
                        evaluationSeconds.add(s.lastEvaluationSeconds());
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    long cpu = threads.getThreadCpuTime(tid) - cpu0;
                    io.sluice.monitor.SelfStats after = monitor.selfStats();
                    Status status = monitor.status().orElseThrow();
                    writing.set(false);
                    load.join();
                    double[] evals = evaluationSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    long evaluations = after.evaluations() - before.evaluations();
                    return String.format(Locale.ROOT, """
                            lag monitor overhead: %d followers, evaluation every 1 s, %.0f s measured, load %d tx/s (%d written)
                              evaluations            %d (%.2f/s)
                              primary queries        %.2f/s
                              follower queries       %.2f/s in all (%.2f/s per follower)
                              Kafka requests         %.2f/s (admin + fetches)
                              evaluation thread CPU  %.1f ms/s = %.2f %% of one core
                              evaluation wall time   p50 %.1f ms, max %.1f ms
                              states at the end      capture %s, followers %s
                            """, followers, seconds, rate, written.get(), evaluations, evaluations / seconds,
                            (after.primaryQueries() - before.primaryQueries()) / seconds,
                            (after.followerQueries() - before.followerQueries()) / seconds,
                            (after.followerQueries() - before.followerQueries()) / seconds / followers,
                            (after.kafkaRequests() - before.kafkaRequests()) / seconds,
                            cpu / 1e6 / seconds, cpu / 1e7 / seconds,
                            evals[evals.length / 2] * 1000, evals[evals.length - 1] * 1000,
                            status.capture().state(), status.followers().stream().map(f -> f.name() + "=" + f.state()).toList());
                }
            } finally {
                appliers.forEach(StreamApplier::close);
            }
        } finally {
            stores.forEach(LocalPostgres::close);
        }
    }

    private void write(LocalPostgres primary, AtomicBoolean writing, AtomicLong written) {
        try (Connection c = primary.connect();
             PreparedStatement ps = c.prepareStatement("INSERT INTO bench VALUES (?, ?, repeat('x', 100))")) {
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            for (long i = 1; writing.get(); i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                ps.setLong(1, i);
                ps.setInt(2, (int) i);
                ps.executeUpdate();
                written.incrementAndGet();
            }
        } catch (Exception e) {
            System.err.println("load stopped: " + e.getMessage());
        }
    }
}
