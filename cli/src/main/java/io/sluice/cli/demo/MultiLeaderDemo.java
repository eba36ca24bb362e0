package io.sluice.cli.demo;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ConflictResolver;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.cli.EmbeddedStack;
import io.sluice.cli.Wiring;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.verify.Verifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code sluice demo --multi-leader} (docs/multi-leader.md): two embedded primaries, {@code a} and
 * {@code b}, each captured into its own stream and each applying the other's under last writer
 * wins. Writers on both update the same stock rows and add rows in key ranges of their own; the
 * link between the leaders is cut for the middle third of the run and healed. Each second: writes,
 * conflicts met on each side, and whether the two hold the same rows. At the end both are compared
 * by the verifier in both directions.
 */
final class MultiLeaderDemo {

    private static final int SKUS = 50;

    private final EmbeddedStack stack;
    private final Path dir;
    private final DemoView view;
    private final PrintStream out;
    private final Duration duration;
    private final int rate;

    MultiLeaderDemo(EmbeddedStack stack, DemoView view, PrintStream out, Duration duration, int rate) {
        this.stack = stack;
        this.dir = stack.runDirectory();
        this.view = view;
        this.out = out;
        this.duration = duration;
        this.rate = rate;
    }

    int run() throws Exception {
        LocalPostgres a = leader("a");
        LocalPostgres b = leader("b");
        LocalKafka kafka = stack.kafka();
        {
            view.header("leader a " + a.jdbcUrl() + "  (capture.origin = local, applies b's stream: last_writer_wins)");
            view.header("leader b " + b.jdbcUrl() + "  (capture.origin = local, applies a's stream: last_writer_wins)");
            view.header("kafka    " + kafka.bootstrapServers() + "  (sluice.a.stream, sluice.b.stream)");
            for (LocalPostgres pg : List.of(a, b)) {
                // Each leader adds rows in a key range of its own (docs/multi-leader.md, "Keys and sequences").
                pg.execute("CREATE TABLE stock (sku int PRIMARY KEY, qty int NOT NULL, updated_by text NOT NULL)");
            }
            try (CaptureService captureA = capture("a", a, kafka); CaptureService captureB = capture("b", b, kafka)) {
                Link link = new Link(a, b, kafka.bootstrapServers());
                try {
                    a.execute("INSERT INTO stock SELECT g, 100, 'a' FROM generate_series(1, " + SKUS + ") g");
                    Await.until(Duration.ofSeconds(30), () -> "the stock on both leaders", () -> count(b) == SKUS);
                    view.event("stock of " + SKUS + " skus written on a, on both leaders");
                    return workload(a, b, link);
                } finally {
                    link.cut();
                }
            }
        }
    }

    private int workload(LocalPostgres a, LocalPostgres b, Link link) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong writesA = new AtomicLong();
        AtomicLong writesB = new AtomicLong();
        Thread onA = new Thread(() -> write(a, "a", 1_000_001, writing, writesA), "demo-writer-a");
        Thread onB = new Thread(() -> write(b, "b", 2_000_001, writing, writesB), "demo-writer-b");
        view.event(String.format("writers on both leaders, %d writes/s each, for %d s: the same skus updated on both,"
                + " new skus in each one's own range", Math.max(1, rate / 2), duration.toSeconds()));
        onA.start();
        onB.start();
        long start = System.nanoTime();
        long cutAt = start + duration.toNanos() / 3;
        long healAt = start + duration.toNanos() * 2 / 3;
        boolean cut = false;
        boolean healed = false;
        long nextReport = start + 1_000_000_000L;
        long previous = 0;
        while (System.nanoTime() - start < duration.toNanos()) {
            long now = System.nanoTime();
            if (!cut && now >= cutAt) {
                cut = true;
                link.cut();
                view.event("LINK CUT: neither leader hears of the other; both keep taking writes");
            }
            if (cut && !healed && now >= healAt) {
                healed = true;
                link.heal();
                view.event("LINK HEALED: each applier resumes after its watermark; conflicts are resolved as they meet");
            }
            if (now >= nextReport) {
                nextReport += 1_000_000_000L;
                long w = writesA.get() + writesB.get();
                view.status(status(a, b, w - previous, cut && !healed));
                previous = w;
            }
            LockSupport.parkNanos(20_000_000L); // the director's tick, not synchronisation
        }
        writing.set(false);
        onA.join();
        onB.join();
        view.done();
        return check(a, b, writesA.get(), writesB.get());
    }

    private String status(LocalPostgres a, LocalPostgres b, long writesPerSecond, boolean linkCut) {
        try {
            boolean equal = digest(a).equals(digest(b));
            return String.format("writes %4d/s   link %-6s   conflicts resolved: at a %d, at b %d   leaders %s%n", writesPerSecond,
                    linkCut ? "CUT" : "up", conflicts(a), conflicts(b), equal ? "EQUAL" : "differ");
        } catch (SQLException e) {
            return "status unavailable: " + e.getMessage();
        }
    }

    /** Both leaders after the writers stop: every write arrived, both equal by the verifier each way, the conflicts by kind. */
    private int check(LocalPostgres a, LocalPostgres b, long writesA, long writesB) throws Exception {
        out.printf("writers stopped after %d writes on a and %d on b; waiting for each leader to apply the other's ...%n",
                writesA, writesB);
        a.execute("INSERT INTO stock VALUES (1000000, 0, 'a')");
        b.execute("INSERT INTO stock VALUES (2000000, 0, 'b')");
        Await.until(Duration.ofSeconds(60), () -> "each leader to have the other's last write",
                () -> has(b, 1_000_000) && has(a, 2_000_000));
        out.println("rows on a: " + a.queryScalar("SELECT count(*) FILTER (WHERE sku <= " + SKUS + ") || ' shared skus, '"
                + " || count(*) FILTER (WHERE sku > 1000000 AND sku < 2000000) || ' added by a, '"
                + " || count(*) FILTER (WHERE sku > 2000000) || ' added by b' FROM stock"));
        int failures = 0;
        for (LocalPostgres[] pair : new LocalPostgres[][] {{a, b}, {b, a}}) {
            String source = pair[0] == a ? "a" : "b";
            Verifier.Report report = new Verifier(ds(pair[0]), ds(pair[1]), source, 1000, 3, Duration.ofSeconds(2))
                    .verify(List.of("public.stock"));
            for (Verifier.TableResult t : report.tables()) {
                failures += t.equal() ? 0 : 1;
                out.printf("check: leader %s %s leader %s on %s (%d rows)%n", pair[1] == a ? "a" : "b",
                        t.equal() ? "EQUALS" : "DIFFERS FROM", source, t.table(), t.followerRows());
                t.differences().forEach(d -> out.println("    " + d));
            }
        }
        for (LocalPostgres pg : List.of(a, b)) {
            out.printf("conflicts at %s: %s%n", pg == a ? "a" : "b", pg.queryScalar("SELECT coalesce(string_agg(kind || ' '"
                    + " || outcome || ' ' || n, ', ' ORDER BY kind, outcome), 'none') FROM (SELECT kind, outcome, count(*) n"
                    + " FROM sluice.conflict GROUP BY kind, outcome) k"));
        }
        out.println(failures == 0 ? "demo: both leaders equal, every conflict resolved alike on both."
                : "demo: the leaders differ in " + failures + " comparison(s).");
        return failures == 0 ? 0 : 1;
    }

    /** Updates of shared skus (the conflicts), and new skus and their deletes in this leader's own range. */
    private void write(LocalPostgres pg, String name, int ownRange, AtomicBoolean writing, AtomicLong writes) {
        Random random = new Random(name.hashCode());
        long interval = 1_000_000_000L / Math.max(1, rate / 2);
        long next = System.nanoTime();
        int added = 0;
        try (Connection c = pg.connect();
             PreparedStatement update = c.prepareStatement("UPDATE stock SET qty = qty + ?, updated_by = ? WHERE sku = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO stock VALUES (?, 0, ?)");
             PreparedStatement delete = c.prepareStatement("DELETE FROM stock WHERE sku = ?")) {
            c.setAutoCommit(true);
            while (writing.get()) {
                int op = random.nextInt(10);
                if (op < 7) {
                    update.setInt(1, random.nextInt(21) - 10);
                    update.setString(2, name);
                    update.setInt(3, 1 + random.nextInt(SKUS));
                    update.executeUpdate();
                } else if (op < 9 || added == 0) {
                    insert.setInt(1, ownRange + added++);
                    insert.setString(2, name);
                    insert.executeUpdate();
                } else {
                    delete.setInt(1, ownRange + random.nextInt(added));
                    delete.executeUpdate();
                }
                writes.incrementAndGet();
                next += interval;
                LockSupport.parkNanos(next - System.nanoTime()); // paces the writer at its rate
            }
        } catch (SQLException e) {
            view.event("writer on " + name + " stopped: " + e.getMessage());
        }
    }

    private LocalPostgres leader(String name) {
        return stack.start(LocalPostgres.builder(name).setting("track_commit_timestamp", "on"), name);
    }

    private CaptureService capture(String source, LocalPostgres pg, LocalKafka kafka) {
        CaptureService s = new CaptureService(new CaptureConfig(source, pg.jdbcUrl(), Wiring.embeddedConnection(),
                Map.of("bootstrap.servers", kafka.bootstrapServers()), "sluice_" + source, "sluice_" + source, List.of(),
                Duration.ofSeconds(1), Duration.ofMillis(5), false, dir.resolve("capture-" + source), Map.of())
                .withOrigins(CaptureConfig.Origins.LOCAL));
        s.start();
        return s;
    }

    /** The appliers between the leaders, one each way: the link, cut and healed. */
    private static final class Link {
        private final LocalPostgres a;
        private final LocalPostgres b;
        private final String bootstrap;
        private StreamApplier aToB;
        private StreamApplier bToA;

        Link(LocalPostgres a, LocalPostgres b, String bootstrap) {
            this.a = a;
            this.b = b;
            this.bootstrap = bootstrap;
            heal();
        }

        void heal() {
            aToB = start("a", "b", b);
            bToA = start("b", "a", a);
        }

        void cut() {
            if (aToB != null) {
                aToB.close();
                bToA.close();
                aToB = null;
                bToA = null;
            }
        }

        private StreamApplier start(String source, String leaderName, LocalPostgres leader) {
            StreamApplier s = new StreamApplier(ApplierConfig.of(source, leaderName, leader.jdbcUrl(), Wiring.embeddedConnection(),
                    Map.of("bootstrap.servers", bootstrap)).withConflicts(ConflictResolver.LAST_WRITER_WINS));
            s.start();
            return s;
        }
    }

    private static JdbcDataSource ds(LocalPostgres pg) {
        return new JdbcDataSource(pg.jdbcUrl(), Wiring.embeddedConnection());
    }

    private static long count(LocalPostgres pg) throws SQLException {
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM stock"));
    }

    private static boolean has(LocalPostgres pg, int sku) throws SQLException {
        return "1".equals(pg.queryScalar("SELECT count(*) FROM stock WHERE sku = " + sku));
    }

    private static String digest(LocalPostgres pg) throws SQLException {
        return pg.queryScalar("SELECT md5(coalesce(string_agg(s::text, ',' ORDER BY sku), '')) FROM stock s");
    }

    private static long conflicts(LocalPostgres pg) throws SQLException {
        return pg.queryScalar("SELECT to_regclass('sluice.conflict')") == null ? 0
                : Long.parseLong(pg.queryScalar("SELECT count(*) FROM sluice.conflict"));
    }
}
