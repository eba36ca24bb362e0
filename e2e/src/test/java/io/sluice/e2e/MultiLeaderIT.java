package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ConflictResolver;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import io.sluice.verify.Verifier;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two leaders, {@code a} and {@code b}, each captured with {@code capture.origin = local} into a
 * stream of its own and each applying the other's stream under last writer wins: writers on both
 * over the same keys, the link between them cut and healed, and afterwards both equal, nothing
 * looped, and every conflict logged with a remote version its writer really wrote.
 */
class MultiLeaderIT {

    @TempDir
    static Path dir;
    static LocalPostgres a;
    static LocalPostgres b;
    static LocalKafka kafka;

    private static final int KEYS = 40;
    private static final TableId ITEMS = new TableId("public", "items");

    @BeforeAll
    static void start() throws Exception {
        a = LocalPostgres.builder("a").dataDirectory(dir.resolve("a")).setting("track_commit_timestamp", "on").start();
        b = LocalPostgres.builder("b").dataDirectory(dir.resolve("b")).setting("track_commit_timestamp", "on").start();
        kafka = LocalKafka.start(dir.resolve("kafka"));
        for (LocalPostgres leader : List.of(a, b)) {
            leader.execute("CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL, n int NOT NULL)",
                    // An observer of every version change of items on this leader, the applier's too (ENABLE
                    // ALWAYS: its session runs as a replica). Unlogged, so no capture ever sends it.
                    "CREATE UNLOGGED TABLE audit (id bigserial, key int, old_v text, new_v text, by_applier boolean)",
                    """
                    CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO audit (key, old_v, new_v, by_applier) VALUES (
                            CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
                            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.v END,
                            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.v END,
                            current_setting('session_replication_role') = 'replica');
                        RETURN NULL;
                    END $$""",
                    "CREATE TRIGGER items_audit AFTER INSERT OR UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION audit()",
                    "ALTER TABLE items ENABLE ALWAYS TRIGGER items_audit");
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
        a.close();
        b.close();
    }

    private static CaptureService capture(String source, LocalPostgres leader) {
        CaptureConfig c = new CaptureConfig(source, leader.jdbcUrl(), Stack.superuser(),
                Map.of("bootstrap.servers", kafka.bootstrapServers()), "slot_" + source, "pub_" + source, List.of(),
                Duration.ofMillis(500), Duration.ofMillis(5), false, dir.resolve("capture-" + source), Map.of())
                .withOrigins(CaptureConfig.Origins.LOCAL);
        CaptureService s = new CaptureService(c);
        s.start();
        return s;
    }

    /** A committed row change: its key, the value written (null for a delete), and its transaction's xid. */
    record Write(int key, String value, String xid) { }

    /** A write with its commit timestamp and origin, ordered as last writer wins orders them. */
    record Stamped(Write write, java.time.Instant committed, String origin) implements Comparable<Stamped> {
        @Override
        public int compareTo(Stamped o) {
            int byTime = committed.compareTo(o.committed);
            return byTime != 0 ? byTime : origin.compareTo(o.origin);
        }
    }

    /** The writer's writes with the commit timestamps its leader recorded. */
    private static List<Stamped> stamped(Writer w) throws SQLException {
        List<Write> writes = List.copyOf(w.writes);
        Map<String, java.time.Instant> times = new HashMap<>();
        try (Connection c = w.leader.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT x, pg_xact_commit_timestamp(x::xid) FROM unnest(?::text[]) x")) {
            ps.setArray(1, c.createArrayOf("text", writes.stream().map(Write::xid).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    times.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                }
            }
        }
        return writes.stream().map(x -> new Stamped(x, times.get(x.xid()), w.name)).toList();
    }

    /** One application writing on one leader: each statement its own transaction, every committed value recorded. */
    private static final class Writer implements Runnable {
        final String name;
        final LocalPostgres leader;
        final AtomicBoolean running = new AtomicBoolean(true);
        /** Every value this writer committed for each key ({@code v} column), and its committed row changes. */
        final Map<Integer, Set<String>> wrote = new ConcurrentHashMap<>();
        /** Every committed row change in commit order: key, the value written ({@code null} for a delete), its xid. */
        final List<Write> writes = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        volatile int changes;
        volatile Exception failed;
        private final Thread thread;

        Writer(String name, LocalPostgres leader) {
            this.name = name;
            this.leader = leader;
            this.thread = new Thread(this, "writer-" + name);
        }

        void start() {
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }

        @Override
        public void run() {
            Random random = new Random(name.hashCode());
            int seq = 0;
            try (Connection c = leader.connect()) {
                c.setAutoCommit(true);
                while (running.get()) {
                    int key = 1 + random.nextInt(KEYS);
                    String v = name + "-" + (++seq);
                    int op = random.nextInt(10);
                    String change = op < 4 ? "INSERT INTO items (id, v, n) VALUES (?, ?, 0) ON CONFLICT (id) DO NOTHING"
                            : op < 8 ? "UPDATE items SET v = ?, n = n + 1 WHERE id = ?" : "DELETE FROM items WHERE id = ?";
                    // The change and its transaction's xid, to read its commit timestamp afterwards.
                    String sql = "WITH c AS (" + change + " RETURNING 1) SELECT count(*), pg_current_xact_id()::text FROM c";
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        if (op < 4) {
                            ps.setInt(1, key);
                            ps.setString(2, v);
                        } else if (op < 8) {
                            ps.setString(1, v);
                            ps.setInt(2, key);
                        } else {
                            ps.setInt(1, key);
                        }
                        java.sql.ResultSet rs = ps.executeQuery();
                        rs.next();
                        if (rs.getInt(1) == 1) {
                            writes.add(new Write(key, op < 8 ? v : null, rs.getString(2)));
                            changes++;
                            if (op < 8) {
                                wrote.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(v);
                            }
                        }
                    }
                }
            } catch (Exception e) {
                failed = e;
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void writersOnBothLeadersConvergeThroughACutLinkWithEveryConflictLogged() throws Exception {
        Writer onA = new Writer("a", a);
        Writer onB = new Writer("b", b);
        try (Link link = new Link(ConflictResolver.LAST_WRITER_WINS)) {
            onA.start();
            onB.start();
            awaitChanges(onA, onB, 300);
            // The link is cut: neither leader hears of the other while both keep writing.
            link.cut();
            // Each writer well into the cut, not only the two together: on a loaded machine one can
            // stall, and conflicts must cost each leader some of its values (asserted below).
            awaitEach(onA, onB, onA.changes + 150, onB.changes + 150);
            // Healed: each applier resumes after its watermark.
            link.heal();
            awaitChanges(onA, onB, onA.changes + onB.changes + 300);
            onA.stop();
            onB.stop();
            assertThat(onA.failed).as("writer on a").isNull();
            assertThat(onB.failed).as("writer on b").isNull();
            // A marker written last on each leader: once each has the other's, everything before it arrived.
            a.execute("INSERT INTO items (id, v, n) VALUES (1000001, 'marker a', 0)");
            b.execute("INSERT INTO items (id, v, n) VALUES (1000002, 'marker b', 0)");
            Await.until(Duration.ofSeconds(60), () -> "each leader to have the other's marker",
                    () -> count(b, 1000001) == 1 && count(a, 1000002) == 1);

            List<String> rowsA = a.rowsAsText("items");
            List<String> rowsB = b.rowsAsText("items");
            assertThat(rowsA).as("the two leaders converged; only on a: " + without(rowsA, rowsB) + "; only on b: "
                    + without(rowsB, rowsA) + "; conflicts on the first at b: " + conflicts(b, differing(rowsA, rowsB))
                    + "; at a: " + conflicts(a, differing(rowsA, rowsB))).isEqualTo(rowsB).hasSizeGreaterThan(2);
            for (String[] pair : new String[][] {{"a", "b"}, {"b", "a"}}) {
                LocalPostgres primary = pair[0].equals("a") ? a : b;
                LocalPostgres follower = pair[0].equals("a") ? b : a;
                Verifier.Report report = new Verifier(new JdbcDataSource(primary.jdbcUrl(), Stack.superuser()),
                        new JdbcDataSource(follower.jdbcUrl(), Stack.superuser()), pair[0], 1000, 2, Duration.ofSeconds(2))
                        .verify(List.of("public.items"));
                assertThat(report.equal()).as("sluice verify " + pair[0] + " -> " + pair[1] + ": " + report).isTrue();
            }

            // Last writer wins, replayed from the writers' own record: each key ends as the write with the
            // latest commit (time, then origin) left it — the value it wrote, or no row after a delete.
            Map<Integer, Stamped> last = new HashMap<>();
            for (Writer w : List.of(onA, onB)) {
                for (Stamped x : stamped(w)) {
                    last.merge(x.write().key(), x, (p, q) -> p.compareTo(q) >= 0 ? p : q);
                }
            }
            Map<Integer, String> ended = new HashMap<>();
            try (Connection c = a.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id, v FROM items WHERE id <= " + KEYS)) {
                while (rs.next()) {
                    ended.put(rs.getInt(1), rs.getString(2));
                }
            }
            Map<Integer, String> expected = new HashMap<>();
            last.forEach((key, x) -> {
                if (x.write().value() != null) {
                    expected.put(key, x.write().value());
                }
            });
            assertThat(ended).as("each key as its latest write left it (" + last.size() + " keys written)").isEqualTo(expected);

            // The conflict log accounts for every value a conflict cost, as an independent observer (the
            // audit trigger) saw each leader's rows change: a value of this leader's writer that the applier
            // replaced is logged here as the overwritten local version; a value the other writer committed
            // either reached this leader's rows or is logged here as the remote version it discarded.
            // Which leader loses values depends on how the writers interleave: a short run on a loaded machine may
            // have one leader's applier find every remote version older than its own rows (it discards them, logged).
            int costs = 0;
            for (Writer local : List.of(onA, onB)) {
                Writer remote = local == onA ? onB : onA;
                LocalPostgres leader = local.leader;
                Set<String> overwrittenLogged = values(leader, "SELECT local_row ->> 'v' FROM sluice.conflict"
                        + " WHERE table_name = 'items' AND outcome = 'applied_remote' AND local_row IS NOT NULL");
                Set<String> remoteLogged = values(leader, "SELECT remote_row ->> 'v' FROM sluice.conflict"
                        + " WHERE table_name = 'items' AND remote_row ->> 'v' IS NOT NULL");
                Set<String> overwritten = values(leader, "SELECT old_v FROM audit WHERE by_applier AND old_v LIKE '"
                        + local.name + "-%'");
                Set<String> applied = values(leader, "SELECT new_v FROM audit WHERE by_applier AND new_v IS NOT NULL");
                assertThat(overwrittenLogged).as("values of " + local.name + "'s writer the applier on " + local.name
                        + " overwrote, each in its conflict log").containsAll(overwritten);
                List<String> lost = remote.writes.stream().map(Write::value).filter(v -> v != null && !applied.contains(v)
                        && !remoteLogged.contains(v)).toList();
                assertThat(lost).as(remote.name + "'s values that never reached " + local.name + "'s rows and are not in its"
                        + " conflict log").isEmpty();
                costs += overwritten.size() + (int) remote.writes.stream().map(Write::value)
                        .filter(v -> v != null && !applied.contains(v) && remoteLogged.contains(v)).count();
            }
            assertThat(costs).as("conflicts cost the leaders values (overwritten here, or discarded from there)").isPositive();

            // No change looped: each stream holds its own leader's writes and nothing else.
            assertThat(rowChanges("a")).as("row changes on a's stream").isEqualTo(onA.changes + 1);
            assertThat(rowChanges("b")).as("row changes on b's stream").isEqualTo(onB.changes + 1);

            // Every conflict logged, with a version its remote writer really committed for that key.
            Map<String, Integer> kinds = new HashMap<>();
            for (String[] side : new String[][] {{"b", "a"}, {"a", "b"}}) {
                LocalPostgres leader = side[0].equals("a") ? a : b;
                Writer remote = side[1].equals("a") ? onA : onB;
                try (Connection c = leader.connect(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT kind, key[1]::int, remote_row ->> 'v', outcome, remote_origin, resolution"
                             + " FROM sluice.conflict WHERE table_name = 'items' ORDER BY id")) {
                    while (rs.next()) {
                        kinds.merge(rs.getString(1), 1, Integer::sum);
                        assertThat(rs.getString(5)).isEqualTo(side[1]);
                        assertThat(rs.getString(6)).isEqualTo("last_writer_wins");
                        assertThat(rs.getString(4)).isIn("applied_remote", "kept_local");
                        String v = rs.getString(3);
                        if (v != null && !rs.getString(1).startsWith("delete")) {
                            assertThat(remote.wrote.getOrDefault(rs.getInt(2), Set.of()))
                                    .as("conflict on key " + rs.getInt(2) + " at " + side[0] + " names a value " + side[1] + " wrote")
                                    .contains(v);
                        }
                    }
                }
            }
            assertThat(kinds).as("conflicts met by both leaders, by kind").isNotEmpty();
            assertThat(kinds.keySet()).isSubsetOf(Set.of("insert_exists", "insert_deleted", "update_origin_differs", "update_exists",
                    "update_missing",
                    "delete_origin_differs", "delete_missing"));
        } finally {
            onA.running.set(false);
            onB.running.set(false);
        }
    }

    /** Both leaders' captures, and an applier each way with {@code resolver}: the link, cut and healed at will. */
    private static final class Link implements AutoCloseable {
        final CaptureService captureA = capture("a", a);
        final CaptureService captureB = capture("b", b);
        final ConflictResolver resolver;
        StreamApplier aToB;
        StreamApplier bToA;

        Link(ConflictResolver resolver) {
            this.resolver = resolver;
            heal();
        }

        void cut() {
            aToB.close();
            bToA.close();
        }

        void heal() {
            aToB = start("a", "b", b);
            bToA = start("b", "a", a);
        }

        private StreamApplier start(String source, String leaderName, LocalPostgres leader) {
            StreamApplier s = new StreamApplier(ApplierConfig.of(source, leaderName, leader.jdbcUrl(), Stack.superuser(),
                    Map.of("bootstrap.servers", kafka.bootstrapServers())).withConflicts(resolver));
            s.start();
            return s;
        }

        @Override
        public void close() {
            cut();
            captureA.close();
            captureB.close();
        }
    }

    /** Until each leader has logged a conflict on {@code table}. */
    private static void awaitConflictOnBoth(String table) {
        for (LocalPostgres leader : List.of(a, b)) {
            Await.until(Duration.ofSeconds(30), () -> "a conflict on " + table + " logged on " + leader.name(), () -> !"0".equals(
                    leader.queryScalar("SELECT count(*) FROM sluice.conflict WHERE table_name = '" + table + "'")));
        }
    }

    private static void awaitRow(String what, String sql, String expected) {
        Await.until(Duration.ofSeconds(60), () -> what, () -> expected.equals(a.queryScalar(sql)) && expected.equals(b.queryScalar(sql)));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void mergeColumnsKeepsEachLeadersChangeToADifferentColumn() throws Exception {
        for (LocalPostgres leader : List.of(a, b)) {
            leader.execute("CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, balance int NOT NULL)",
                    "ALTER TABLE accounts REPLICA IDENTITY FULL");
        }
        try (Link link = new Link(ConflictResolver.MERGE_COLUMNS)) {
            a.execute("INSERT INTO accounts VALUES (1, 'old@example.com', 100)");
            awaitRow("the account on both leaders", "SELECT email || ' ' || balance FROM accounts WHERE id = 1", "old@example.com 100");
            link.cut();
            a.execute("UPDATE accounts SET email = 'new@example.com' WHERE id = 1");
            b.execute("UPDATE accounts SET balance = 250 WHERE id = 1");
            link.heal();
            awaitRow("both changes on both leaders (last writer wins would keep one)",
                    "SELECT email || ' ' || balance FROM accounts WHERE id = 1", "new@example.com 250");
            assertThat(b.queryScalar("SELECT count(*) FROM sluice.conflict WHERE table_name = 'accounts' AND outcome = 'merged'"
                    + " AND resolution = 'merge_columns'")).isEqualTo("1");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void keepBothLeavesTheConflictWithBothVersionsForTheApplication() throws Exception {
        for (LocalPostgres leader : List.of(a, b)) {
            leader.execute("CREATE TABLE seats (id int PRIMARY KEY, holder text NOT NULL)");
        }
        try (Link link = new Link(ConflictResolver.KEEP_BOTH)) {
            link.cut();
            a.execute("INSERT INTO seats VALUES (7, 'alice')");
            b.execute("INSERT INTO seats VALUES (7, 'bob')"); // later: last writer wins gives bob the seat
            link.heal();
            awaitRow("the seat decided alike on both leaders", "SELECT holder FROM seats WHERE id = 7", "bob");
            awaitConflictOnBoth("seats");
            assertThat(a.queryScalar("SELECT local_row ->> 'holder' || ' / ' || (remote_row ->> 'holder') || ' ' || settled"
                    + " FROM sluice.conflict WHERE table_name = 'seats'")).as("on a: its own version, the remote one, unsettled")
                    .isEqualTo("alice / bob false");
            assertThat(b.queryScalar("SELECT local_row ->> 'holder' || ' / ' || (remote_row ->> 'holder') || ' ' || settled"
                    + " FROM sluice.conflict WHERE table_name = 'seats'")).isEqualTo("bob / alice false");

            // The lag monitor of leader a's stream counts what its follower, leader b, logged, by kind.
            Map<String, Long> logged = new HashMap<>();
            try (Connection c = b.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT kind, count(*) FROM sluice.conflict WHERE source = 'a' GROUP BY kind")) {
                while (rs.next()) {
                    logged.put(rs.getString(1), rs.getLong(2));
                }
            }
            MonitorConfig config = new MonitorConfig("a", new MonitorConfig.Endpoint(a.jdbcUrl(), Stack.superuser()), "slot_a",
                    Map.of("bootstrap.servers", kafka.bootstrapServers()), List.of(new MonitorConfig.FollowerTarget("b",
                    new MonitorConfig.Endpoint(b.jdbcUrl(), Stack.superuser()), false, Rule.stalenessDefaults())),
                    Duration.ofMillis(200), Rule.stalenessDefaults(), Rule.slotDefaults(),
                    new MonitorConfig.Http(false, "127.0.0.1", 0, java.util.Optional.empty(), 8), MonitorConfig.Webhooks.none());
            try (LagMonitor monitor = new LagMonitor(config, java.time.Clock.systemUTC())) {
                monitor.start();
                Await.until(Duration.ofSeconds(30), () -> "the monitor's conflict counts " + monitor.status() + " to be " + logged,
                        () -> monitor.status().map(s -> s.followers().get(0).conflicts().equals(logged)).orElse(false));
            }
        }
    }

    /** A rule of one's own: the greater count wins, whichever leader wrote it last. */
    public static final class HighestCountWins implements ConflictResolver {
        @Override
        public String name() {
            return "highest_count_wins";
        }

        @Override
        public Decision resolve(Conflict c) {
            if (!c.rowHere() || c.remote().get("n") == null || c.local().get("n") == null) {
                return LAST_WRITER_WINS.resolve(c);
            }
            long local = Long.parseLong(c.local().get("n"));
            long remote = Long.parseLong(c.remote().get("n"));
            return remote == local ? LAST_WRITER_WINS.resolve(c) : remote > local ? Decision.applyRemote() : Decision.keepLocal();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aResolverOfOnesOwnDecidesOnBothLeaders() throws Exception {
        for (LocalPostgres leader : List.of(a, b)) {
            leader.execute("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)");
        }
        try (Link link = new Link(ConflictResolver.named("class:" + HighestCountWins.class.getName()))) {
            a.execute("INSERT INTO counters VALUES (1, 0)");
            awaitRow("the counter on both leaders", "SELECT n FROM counters WHERE id = 1", "0");
            link.cut();
            a.execute("UPDATE counters SET n = 5 WHERE id = 1");
            b.execute("UPDATE counters SET n = 3 WHERE id = 1"); // later: last writer wins would give 3
            link.heal();
            awaitRow("the greater count on both leaders", "SELECT n FROM counters WHERE id = 1", "5");
            Await.until(Duration.ofSeconds(30), () -> "b's change to reach a", () -> !"0".equals(
                    a.queryScalar("SELECT count(*) FROM sluice.conflict WHERE table_name = 'counters'")));
            assertThat(a.queryScalar("SELECT resolution || ' ' || outcome FROM sluice.conflict WHERE table_name = 'counters'"))
                    .isEqualTo("highest_count_wins kept_local");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoRowsMeetingUnderAUniqueIndexOtherThanTheKeyAreDecidedAlikeOnBoth() throws Exception {
        for (LocalPostgres leader : List.of(a, b)) {
            leader.execute("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL UNIQUE)");
        }
        try (Link link = new Link(ConflictResolver.LAST_WRITER_WINS)) {
            link.cut();
            a.execute("INSERT INTO users VALUES (1, 'x@example.com')");
            b.execute("INSERT INTO users VALUES (2, 'x@example.com')"); // later: b's row wins the address
            link.heal();
            awaitConflictOnBoth("users");
            awaitRow("the later row on both leaders", "SELECT string_agg(id || ' ' || email, ',') FROM users", "2 x@example.com");
            assertThat(a.queryScalar("SELECT kind || ' ' || key[1] || ' ' || outcome FROM sluice.conflict WHERE table_name = 'users'"))
                    .isEqualTo("insert_exists 1 applied_remote");
            assertThat(b.queryScalar("SELECT kind || ' ' || key[1] || ' ' || outcome FROM sluice.conflict WHERE table_name = 'users'"))
                    .isEqualTo("insert_exists 2 kept_local");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aLeaderWhoseKeysCountByOneIsRefusedNamingTheSequence() throws Exception {
        b.execute("CREATE TABLE tickets (id serial PRIMARY KEY, note text)");
        try {
            ApplierConfig config = ApplierConfig.of("a", "b", b.jdbcUrl(), Stack.superuser(),
                    Map.of("bootstrap.servers", kafka.bootstrapServers())).withConflicts(ConflictResolver.LAST_WRITER_WINS);
            try (StreamApplier refused = new StreamApplier(config)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(refused::start)
                        .hasMessageContaining("public.tickets.id").hasMessageContaining("tickets_id_seq")
                        .hasMessageContaining("INCREMENT BY");
            }
            b.execute("ALTER SEQUENCE tickets_id_seq INCREMENT BY 2 RESTART WITH 2");
            try (StreamApplier accepted = new StreamApplier(config)) {
                accepted.start();
                assertThat(accepted.state()).isEqualTo(StreamApplier.State.RUNNING);
            }
        } finally {
            b.execute("DROP TABLE tickets");
        }
    }

    private static void awaitChanges(Writer x, Writer y, int atLeast) {
        awaitWriters(x, y, atLeast + " changes", () -> x.changes + y.changes >= atLeast);
    }

    private static void awaitEach(Writer x, Writer y, int xAtLeast, int yAtLeast) {
        awaitWriters(x, y, xAtLeast + " and " + yAtLeast + " changes", () -> x.changes >= xAtLeast && y.changes >= yAtLeast);
    }

    /** Until {@code reached}, or until either writer failed (the caller's assertions then say why). */
    private static void awaitWriters(Writer x, Writer y, String goal, java.util.function.BooleanSupplier reached) {
        Await.until(Duration.ofSeconds(60), () -> "the writers to commit " + goal + " (at " + x.changes + ", " + y.changes
                + "; failures " + x.failed + ", " + y.failed + ")", () -> reached.getAsBoolean() || x.failed != null || y.failed != null);
    }

    private static Set<String> values(LocalPostgres leader, String sql) throws SQLException {
        Set<String> out = new HashSet<>();
        try (Connection c = leader.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<String> differing(List<String> x, List<String> y) {
        List<String> d = new java.util.ArrayList<>(without(x, y));
        d.addAll(without(y, x));
        return d.isEmpty() ? d : List.of(d.get(0));
    }

    private static List<String> without(List<String> x, List<String> y) {
        return x.stream().filter(r -> !y.contains(r)).toList();
    }

    /** The conflict log's rows for the keys of {@code rows}, for a failure message. */
    private static List<String> conflicts(LocalPostgres leader, List<String> rows) throws SQLException {
        List<String> out = new java.util.ArrayList<>();
        for (String r : rows) {
            String id = r.replaceAll("^\\(?([0-9]+).*", "$1");
            try (Connection c = leader.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT kind, local_row ->> 'v', local_origin, local_commit_time, remote_row ->> 'v',"
                         + " remote_commit_time, outcome FROM sluice.conflict WHERE key = ARRAY['" + id + "']::text[] ORDER BY id")) {
                while (rs.next()) {
                    out.add(id + ": " + rs.getString(1) + " local " + rs.getString(2) + " by " + rs.getString(3) + " at "
                            + rs.getString(4) + " remote " + rs.getString(5) + " at " + rs.getString(6) + " -> " + rs.getString(7));
                }
            }
        }
        return out;
    }

    private static int count(LocalPostgres leader, int id) throws SQLException {
        return Integer.parseInt(leader.queryScalar("SELECT count(*) FROM items WHERE id = " + id));
    }

    /** Row changes of {@code items} on the source's stream. */
    private static long rowChanges(String source) {
        return Stack.streamEvents(kafka.bootstrapServers(), source).stream()
                .map(e -> e instanceof ChangeEvent.Insert i ? i.table() : e instanceof ChangeEvent.Update u ? u.table()
                        : e instanceof ChangeEvent.Delete d ? d.table() : null)
                .filter(ITEMS::equals).count();
    }
}
