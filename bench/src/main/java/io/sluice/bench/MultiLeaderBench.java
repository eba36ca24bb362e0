package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ConflictResolver;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Two leaders (docs/multi-leader.md), in one run: (1) the apply rate of one leader's backlog onto
 * the other with conflict detection, against the same backlog applied onto a plain follower
 * (grouped, collapsed, no checks); (2) both leaders updating the same keys while the link is cut,
 * then healed: how long until both hold the same rows, and the conflicts resolved per second.
 * Every database is compared with the others at the end.
 */
public final class MultiLeaderBench {

    private static final String TABLE = "items";

    private final Path dir;
    private final int rows;
    private final int transactions;

    public MultiLeaderBench(Path dir, int rows, int transactions) {
        this.dir = dir;
        this.rows = rows;
        this.transactions = transactions;
    }

    public String run() throws Exception {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "multileader: %,d rows on each leader; backlog %,d single-row update transactions; then %,d keys updated"
                        + " on both leaders while the link is cut%n", rows, transactions, rows));
        try (LocalPostgres a = leader("ml-a"); LocalPostgres b = leader("ml-b"); LocalPostgres plain = leader("ml-plain");
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            for (LocalPostgres pg : List.of(a, b, plain)) {
                pg.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY, v text NOT NULL, n int NOT NULL)", "CHECKPOINT");
            }
            try (CaptureService captureA = capture("a", a, kafka); CaptureService captureB = capture("b", b, kafka)) {
                // b and the plain follower start from a's rows, through the stream (not timed).
                a.execute("INSERT INTO " + TABLE + " SELECT g, 'start', 0 FROM generate_series(1, " + rows + ") g");
                Lsn seeded = onStream(a, captureA);
                applyBacklog(ApplierConfig.of("a", "plain", plain.jdbcUrl(), BenchStack.superuser(), BenchStack.kafka(kafka)), seeded);
                applyBacklog(leaderConfig("a", "b", b, kafka), seeded);
                updates(a, "a", transactions);
                Lsn last = onStream(a, captureA);
                double plainSeconds = applyBacklog(ApplierConfig.of("a", "plain", plain.jdbcUrl(), BenchStack.superuser(),
                        BenchStack.kafka(kafka)), last);
                double leaderSeconds = applyBacklog(leaderConfig("a", "b", b, kafka), last);
                out.append(String.format(Locale.ROOT, "  apply, %,d transactions: plain follower %.2f s (%,.0f tx/s); leader with"
                                + " conflict detection %.2f s (%,.0f tx/s): %.2fx the plain rate%n", transactions, plainSeconds,
                        transactions / plainSeconds, leaderSeconds, transactions / leaderSeconds, plainSeconds / leaderSeconds));
                // b has applied a's backlog; b's own applier onto a catches up on nothing yet.
                long before = conflicts(a) + conflicts(b);
                updates(a, "a2", rows);
                updates(b, "b2", rows);
                long t0 = System.nanoTime();
                try (StreamApplier aToB = new StreamApplier(leaderConfig("a", "b", b, kafka));
                     StreamApplier bToA = new StreamApplier(leaderConfig("b", "a", a, kafka))) {
                    aToB.start();
                    bToA.start();
                    Await.until(Duration.ofMinutes(10), () -> "both leaders to hold the same rows",
                            () -> conflicts(a) + conflicts(b) - before >= 2L * rows && digest(a).equals(digest(b)));
                }
                double converged = (System.nanoTime() - t0) / 1e9;
                long resolved = conflicts(a) + conflicts(b) - before;
                out.append(String.format(Locale.ROOT, "  heal: both leaders equal %.2f s after the appliers started; %,d conflicts"
                        + " resolved (%,.0f/s); outcomes on a: %s; on b: %s%n", converged, resolved, resolved / converged,
                        outcomes(a), outcomes(b)));
            }
            out.append(clocks(a, b));
            boolean equal = digest(a).equals(digest(b));
            out.append("  leaders equal at the end: ").append(equal).append('\n');
            if (!equal) {
                throw new IllegalStateException("the leaders differ after the heal: " + out);
            }
        }
        return out.toString();
    }

    /**
     * How far apart the leaders' clocks are, the way NTP estimates an offset: each leader's
     * {@code clock_timestamp()} against the midpoint of the bench's own clock around the query;
     * the round trip bounds the error. Last writer wins compares commit times from both clocks.
     */
    private static String clocks(LocalPostgres a, LocalPostgres b) throws Exception {
        double best = Double.MAX_VALUE;
        double offset = 0;
        try (Connection ca = a.connect(); Connection cb = b.connect()) {
            for (int i = 0; i < 50; i++) {
                double[] x = offset(ca);
                double[] y = offset(cb);
                double error = (x[1] + y[1]) / 2;
                if (error < best) {
                    best = error;
                    offset = y[0] - x[0];
                }
            }
        }
        return String.format(Locale.ROOT, "  clocks: b - a = %.3f ms (± %.3f ms, half the round trips)%n", offset, best);
    }

    /** {server clock - local midpoint, half the round trip}, in milliseconds. */
    private static double[] offset(Connection c) throws Exception {
        try (java.sql.Statement st = c.createStatement()) {
            java.time.Instant before = java.time.Instant.now();
            long t0 = System.nanoTime();
            java.sql.ResultSet rs = st.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
            long t1 = System.nanoTime();
            rs.next();
            long server = rs.getLong(1);
            double rtt = (t1 - t0) / 1e6;
            double midpoint = before.getEpochSecond() * 1e3 + before.getNano() / 1e6 + rtt / 2;
            return new double[] {server / 1000.0 - midpoint, rtt / 2};
        }
    }

    /** The commit LSN of the last transaction on {@code pg}, once capture has it on Kafka. */
    private static Lsn onStream(LocalPostgres pg, CaptureService capture) throws Exception {
        Lsn end = Lsn.parse(pg.queryScalar("SELECT pg_current_wal_lsn()::text"));
        Await.until(Duration.ofMinutes(5), () -> pg.name() + "'s writes on the stream", () -> !end.isAfter(capture.lastCommittedLsn()));
        return capture.lastCommittedLsn();
    }

    private LocalPostgres leader(String name) {
        return LocalPostgres.builder(name).dataDirectory(dir.resolve(name)).setting("track_commit_timestamp", "on").start();
    }

    private CaptureService capture(String source, LocalPostgres pg, LocalKafka kafka) {
        CaptureConfig c = BenchStack.capture(source, pg, kafka, List.of("public." + TABLE), dir.resolve("capture-" + source))
                .withOrigins(CaptureConfig.Origins.LOCAL);
        CaptureService s = new CaptureService(c);
        s.start();
        return s;
    }

    private static ApplierConfig leaderConfig(String source, String leaderName, LocalPostgres leader, LocalKafka kafka) {
        return ApplierConfig.of(source, leaderName, leader.jdbcUrl(), BenchStack.superuser(), BenchStack.kafka(kafka))
                .withConflicts(ConflictResolver.LAST_WRITER_WINS);
    }

    /** Seconds until the applier's watermark reaches {@code last}, from its start. */
    private static double applyBacklog(ApplierConfig config, Lsn last) {
        long t0 = System.nanoTime();
        try (StreamApplier applier = new StreamApplier(config)) {
            applier.start();
            Await.until(Duration.ofMinutes(10), () -> "applier " + config.followerName() + " to reach " + last,
                    () -> applier.applied().map(x -> !last.isAfter(x.commitLsn())).orElse(false));
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** {@code count} single-row update transactions over the table's keys, each its own commit. */
    private void updates(LocalPostgres pg, String tag, int count) throws Exception {
        try (Connection c = pg.connect(); PreparedStatement ps = c.prepareStatement(
                "UPDATE " + TABLE + " SET v = ?, n = n + 1 WHERE id = ?")) {
            c.setAutoCommit(true);
            for (int i = 0; i < count; i++) {
                ps.setString(1, tag + "-" + i);
                ps.setInt(2, 1 + i % rows);
                ps.executeUpdate();
            }
        }
    }

    private static String digest(LocalPostgres pg) throws Exception {
        return pg.queryScalar("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM " + TABLE + " t");
    }

    private static long conflicts(LocalPostgres pg) throws Exception {
        if (pg.queryScalar("SELECT to_regclass('sluice.conflict')") == null) {
            return 0; // no applier has run on it yet
        }
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM sluice.conflict"));
    }

    private static String outcomes(LocalPostgres pg) throws Exception {
        return pg.queryScalar("SELECT coalesce(string_agg(outcome || ' ' || n, ', ' ORDER BY outcome), 'none')"
                + " FROM (SELECT outcome, count(*) n FROM sluice.conflict GROUP BY outcome) o");
    }
}
