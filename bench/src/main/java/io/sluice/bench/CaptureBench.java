package io.sluice.bench;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Capture alone on the embedded stack: sustained events/s through capture to Kafka
 * acknowledgement, and primary-commit → Kafka-ack latency at a fixed transaction rate.
 */
public final class CaptureBench {

    private final Path dir;
    private final int transactions;
    private final int rowsPerTransaction;
    private final int rate;
    private final Duration latencyDuration;

    public CaptureBench(Path dir, int transactions, int rowsPerTransaction, int rate, Duration latencyDuration) {
        this.dir = dir;
        this.transactions = transactions;
        this.rowsPerTransaction = rowsPerTransaction;
        this.rate = rate;
        this.latencyDuration = latencyDuration;
    }

    public record Result(int transactions, long events, double seconds, double eventsPerSecond, double txPerSecond,
                         int rate, Percentiles latency) { }

    public Result run() throws Exception {
        long[] latencies = new long[2_000_000];
        AtomicInteger samples = new AtomicInteger();
        AtomicLong commits = new AtomicLong();
        AtomicLong events = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean recording = new java.util.concurrent.atomic.AtomicBoolean();
        try (LocalPostgres pg = LocalPostgres.start("bench-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE bench (id bigint PRIMARY KEY, v int, payload text)");
            }
            CaptureConfig cfg = BenchStack.capture("bench", pg, kafka, List.of("public.bench"), dir);
            java.util.function.Consumer<ChangeEvent.Commit> onAck = commit -> {
                commits.incrementAndGet();
                events.addAndGet(commit.eventCount() + 2);
                if (recording.get()) {
                    long us = ChronoUnit.MICROS.between(commit.header().commitTime(), Instant.now());
                    int i = samples.getAndIncrement();
                    if (i < latencies.length) {
                        latencies[i] = us;
                    }
                }
            };
            // The slot exists from here on, so the backlog written while capture is down is retained.
            try (CaptureService first = new CaptureService(cfg)) {
                first.start();
            }
            Thread a = writer(pg, 0, transactions / 2);
            Thread b = writer(pg, transactions / 2, transactions - transactions / 2);
            a.join();
            b.join();
            try (CaptureService capture = new CaptureService(cfg, onAck)) {
                // Throughput: catch-up of the backlog, from start to the last acknowledgement.
                long t0 = System.nanoTime();
                capture.start();
                Await.until(Duration.ofMinutes(10), () -> "capture of " + transactions + " transactions, acked " + commits.get(),
                        () -> commits.get() >= transactions);
                double seconds = (System.nanoTime() - t0) / 1e9;
                long ev = events.get();

                // Latency: a fixed rate of one-row transactions.
                recording.set(true);
                long before = commits.get();
                int n = (int) (rate * latencyDuration.toSeconds());
                try (Connection c = pg.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO bench VALUES (?, 1, 'latency')")) {
                    long start = System.nanoTime();
                    long interval = 1_000_000_000L / rate;
                    for (int i = 0; i < n; i++) {
                        long due = start + i * interval;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        ps.setLong(1, 10_000_000_000L + i);
                        ps.executeUpdate();
                    }
                }
                Await.until(Duration.ofMinutes(2), () -> "latency phase acks", () -> commits.get() >= before + n);
                return new Result(transactions, ev, seconds, ev / seconds, transactions / seconds, rate,
                        Percentiles.ofMicros(latencies, Math.min(samples.get(), latencies.length)));
            }
        }
    }

    private Thread writer(LocalPostgres pg, int from, int count) {
        Thread t = new Thread(() -> {
            try (Connection c = pg.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO bench VALUES (?, ?, repeat('x', 100))")) {
                c.setAutoCommit(false);
                for (int i = from; i < from + count; i++) {
                    for (int r = 0; r < rowsPerTransaction; r++) {
                        ps.setLong(1, (long) i * rowsPerTransaction + r);
                        ps.setInt(2, r);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                    c.commit();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "bench-writer-" + from);
        t.start();
        return t;
    }

    public static String report(Result r) {
        return String.format("capture catch-up of a backlog: %d transactions x %d events in %.2f s = %.0f events/s (%.0f tx/s), start to last Kafka ack%n"
                        + "capture latency at %d tx/s, primary commit -> Kafka ack: %s",
                r.transactions(), r.events() / Math.max(1, r.transactions()), r.seconds(), r.eventsPerSecond(),
                r.txPerSecond(), r.rate(), r.latency().ms());
    }
}
