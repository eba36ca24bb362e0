package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.client.Durability;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.client.SluiceClient;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ConsistencyToken;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Consistency costs on the embedded stack (primary, Kafka, capture, two sync followers with their
 * appliers): the latency a durability level adds to a write, and how long after commit a
 * read-your-writes token wait ends — measured from the writer's commit and from the follower's
 * own apply commit ({@code sluice.applied_group.applied_at}).
 */
public final class ConsistencyBench {

    private static final String SOURCE = "cbench";

    private final Path dir;
    private final int writes;
    private final Duration phase;
    private final Duration warmup;

    /**
     * @param warmup how long the whole pipeline runs at 1,000 writes/s with token waits before
     *               anything is measured (discarded): the JIT compiles capture, the broker, the
     *               appliers and the client meanwhile, as it has in any process that has been up
     */
    public ConsistencyBench(Path dir, int writes, Duration phase, Duration warmup) {
        this.dir = dir;
        this.writes = writes;
        this.phase = phase;
        this.warmup = warmup;
    }

    public String run() throws Exception {
        StringBuilder out = new StringBuilder();
        List<StreamApplier> appliers = new ArrayList<>();
        try (LocalPostgres primary = LocalPostgres.start("bench-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"));
             LocalPostgres a = LocalPostgres.start("bench-a", dir);
             LocalPostgres b = LocalPostgres.start("bench-b", dir)) {
            primary.execute("CREATE TABLE writes (id bigserial PRIMARY KEY, payload text)");
            try (CaptureService capture = new CaptureService(BenchStack.capture(SOURCE, primary, kafka, List.of("public.writes"), dir))) {
                capture.start();
                for (Map.Entry<String, LocalPostgres> f : Map.of("a", a, "b", b).entrySet()) {
                    // Follower a's applier tells when each of its commits returned, per group (by last commit LSN).
                    StreamApplier ap = new StreamApplier(ApplierConfig.of(SOURCE, f.getKey(), f.getValue().jdbcUrl(),
                            BenchStack.superuser(), BenchStack.kafka(kafka)), f.getKey().equals("a")
                            ? applied -> commitReturned.put(applied.commitLsn().toString(), applied.appliedAt()) : applied -> { });
                    ap.start();
                    appliers.add(ap);
                }
                try (SluiceClient client = SluiceClient.builder(SOURCE)
                        .primary(new JdbcDataSource(primary.jdbcUrl(), BenchStack.superuser()))
                        .follower("a", new JdbcDataSource(a.jdbcUrl(), BenchStack.superuser()), true)
                        .follower("b", new JdbcDataSource(b.jdbcUrl(), BenchStack.superuser()), true).build();
                     Connection w = primary.connect()) {
                    w.setAutoCommit(false);
                    writeOne(client, w, Durability.ALL); // warm up: tables on the followers, connections
                    if (!warmup.isZero()) {
                        String discarded = readYourWrites(client, primary, a, 1000, warmup);
                        out.append(String.format(Locale.ROOT, "warm-up (discarded): 1000 writes/s for %d s, %s%n",
                                warmup.toSeconds(), discarded.lines().filter(l -> l.contains("CPU")).findFirst().orElse("").trim()));
                        commitReturned.clear();
                    }
                    out.append(String.format(Locale.ROOT, "write latency by durability level, %d sequential writes each"
                            + " (INSERT + commit + wait), two sync followers:%n", writes));
                    Map<String, Percentiles> levels = new java.util.LinkedHashMap<>();
                    for (Durability d : List.of(Durability.ASYNC, Durability.quorum(1), Durability.ALL)) {
                        long[] us = new long[writes];
                        for (int i = 0; i < writes; i++) {
                            long t0 = System.nanoTime();
                            writeOne(client, w, d);
                            us[i] = (System.nanoTime() - t0) / 1000;
                        }
                        levels.put(d.toString(), Percentiles.ofMicros(us, writes));
                    }
                    double base = levels.get("ASYNC").p50();
                    levels.forEach((name, p) -> out.append(String.format(Locale.ROOT, "  %-10s %s; added p50 %.2f ms%n",
                            name, p.ms(), p.p50() - base)));
                    for (int rate : new int[] {100, 1000}) {
                        out.append(readYourWrites(client, primary, a, rate, phase));
                    }
                }
            } finally {
                appliers.forEach(StreamApplier::close);
            }
        }
        return out.toString();
    }

    private static ConsistencyToken writeOne(SluiceClient client, Connection w, Durability d) throws Exception {
        try (Statement st = w.createStatement()) {
            st.executeUpdate("INSERT INTO writes (payload) VALUES ('x')");
        }
        return client.commit(w, d, Duration.ofSeconds(10));
    }

    /** Follower a: when the apply commit of the group ending at this commit LSN returned to the applier. */
    private final Map<String, Instant> commitReturned = new java.util.concurrent.ConcurrentHashMap<>();

    private record Pending(ConsistencyToken token, long committedNanos) { }

    private record Done(long xid, long fromCommitMicros, Instant waitEnded) { }

    /** Writers at {@code rate}/s; a pool of waiters awaits each token on follower a. */
    private String readYourWrites(SluiceClient client, LocalPostgres primary, LocalPostgres a, int rate, Duration phase)
            throws Exception {
        int writers = rate >= 500 ? 4 : 1;
        BlockingQueue<Pending> pending = new ArrayBlockingQueue<>(100_000);
        ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicBoolean waiting = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        long[] missed = new long[1];
        // Enough waiters that a token never queues for a free one (a queued token would count its
        // queueing as wait): at 1,000 writes/s and p99 ~30 ms from commit, ~30 waits are open at once.
        int waiters = rate >= 500 ? 64 : 16;
        for (int t = 0; t < waiters; t++) {
            Thread waiter = new Thread(() -> {
                while (waiting.get() || !pending.isEmpty()) {
                    try {
                        Pending p = pending.poll(50, TimeUnit.MILLISECONDS);
                        if (p == null) {
                            continue;
                        }
                        if (client.await(p.token(), "a", Duration.ofSeconds(10))) {
                            Instant end = Instant.now();
                            done.add(new Done(p.token().streamXid(), (System.nanoTime() - p.committedNanos()) / 1000, end));
                        } else {
                            synchronized (missed) {
                                missed[0]++;
                            }
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-waiter-" + t);
            waiter.start();
            threads.add(waiter);
        }
        List<Thread> writerThreads = new ArrayList<>();
        for (int t = 0; t < writers; t++) {
            Thread writer = new Thread(() -> {
                try (Connection c = primary.connect(); PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO writes (payload) VALUES ('ryw')")) {
                    c.setAutoCommit(false);
                    long interval = 1_000_000_000L * writers / rate;
                    long start = System.nanoTime();
                    for (long i = 1; writing.get(); i++) {
                        long wait = start + i * interval - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        ps.executeUpdate();
                        ConsistencyToken token = client.commit(c);
                        pending.add(new Pending(token, System.nanoTime()));
                    }
                } catch (Exception e) {
                    System.err.println("writer stopped: " + e);
                }
            }, "bench-writer-" + t);
            writer.start();
            writerThreads.add(writer);
        }
        long phaseStart = System.nanoTime();
        Cpu.Mark start = Cpu.mark();
        Await.until(phase.plusSeconds(30), () -> "the measurement phase", () -> System.nanoTime() - phaseStart >= phase.toNanos());
        Cpu cpu = Cpu.since(start);
        String busiest = Cpu.busiestThreads(start, 10);
        writing.set(false);
        for (Thread t : writerThreads) {
            t.join();
        }
        waiting.set(false);
        for (Thread t : threads) {
            t.join();
        }
        // When follower a applied each transaction: applied_group.applied_at of its group (taken in
        // the apply transaction, just before its commit) and when that commit returned to the applier.
        Map<Long, Instant> appliedAt = new HashMap<>();
        Map<Long, Instant> returnedAt = new HashMap<>();
        try (Connection c = a.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT x, applied_at, last_commit_lsn::text FROM sluice.applied_group, unnest(xids) x")) {
            while (rs.next()) {
                appliedAt.put(rs.getLong(1), rs.getTimestamp(2).toInstant());
                Instant returned = commitReturned.get(rs.getString(3));
                if (returned != null) {
                    returnedAt.put(rs.getLong(1), returned);
                }
            }
        }
        long[] fromCommit = new long[done.size()];
        long[] fromApply = new long[done.size()];
        long[] fromApplyCommit = new long[done.size()];
        int n = 0;
        int m = 0;
        int k = 0;
        for (Done d : done) {
            fromCommit[n++] = d.fromCommitMicros();
            Instant applied = appliedAt.get(d.xid());
            if (applied != null) {
                fromApply[m++] = Math.max(0, ChronoUnit.MICROS.between(applied, d.waitEnded()));
            }
            Instant returned = returnedAt.get(d.xid());
            if (returned != null) {
                fromApplyCommit[k++] = Math.max(0, ChronoUnit.MICROS.between(returned, d.waitEnded()));
            }
        }
        double seconds = phase.toMillis() / 1000.0;
        return String.format(Locale.ROOT, """
                read-your-writes at %d writes/s (%d writers, %.0f s, %d tokens, %d timed out):
                  commit returned -> token wait ended on follower a:    %s
                  follower a's apply (applied_at) -> token wait ended:  %s
                  follower a's apply commit returned -> wait ended:     %s
                  %s; JVM threads: %s
                """, rate, writers, seconds, n, missed[0], Percentiles.ofMicros(fromCommit, n).ms(),
                Percentiles.ofMicros(fromApply, m).ms(), Percentiles.ofMicros(fromApplyCommit, k).ms(),
                cpu.describe(seconds), busiest);
    }
}
