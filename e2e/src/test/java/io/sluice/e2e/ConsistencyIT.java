package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.client.Durability;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.client.ReadPolicy;
import io.sluice.client.Session;
import io.sluice.client.ReadUnavailableException;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceClient.SqlFunction;
import io.sluice.client.SyncTimeoutException;
import io.sluice.embedded.Await;
import io.sluice.format.ConsistencyToken;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-your-writes, monotonic reads, consistent prefix and synchronous commits through the
 * client library, on the embedded stack: primary, capture, three followers with appliers.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConsistencyIT {

    private static final String SOURCE = "cons";

    @TempDir
    static Path dir;
    static Stack stack;
    static CaptureService capture;
    static final List<StreamApplier> appliers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        stack = new Stack(dir, 3);
        stack.primary.execute("CREATE TABLE ryw (id bigint PRIMARY KEY, v text)",
                "CREATE TABLE counter_rows (id bigserial PRIMARY KEY)",
                "CREATE TABLE noise (id bigserial PRIMARY KEY, payload text)",
                "CREATE TABLE prefix_a (id bigint PRIMARY KEY)",
                "CREATE TABLE prefix_b (id bigint PRIMARY KEY, a bigint NOT NULL)",
                "CREATE TABLE sync_t (id bigserial PRIMARY KEY)");
        capture = new CaptureService(stack.capture(SOURCE, List.of(), false));
        capture.start();
        for (int i = 0; i < 3; i++) {
            StreamApplier a = new StreamApplier(stack.applier(SOURCE, i));
            a.start();
            appliers.add(a);
        }
    }

    @AfterAll
    static void stop() {
        appliers.forEach(StreamApplier::close);
        if (capture != null) {
            capture.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static JdbcDataSource ds(io.sluice.embedded.LocalPostgres pg) {
        return new JdbcDataSource(pg.jdbcUrl(), Stack.superuser());
    }

    private static SluiceClient.Builder client() {
        return SluiceClient.builder(SOURCE).primary(ds(stack.primary))
                .follower("f0", ds(stack.followers.get(0)), true)
                .follower("f1", ds(stack.followers.get(1)), false);
    }

    /** Background writes on another table, so that followers apply while the test reads. */
    private static Thread noise(AtomicBoolean on) {
        Thread t = new Thread(() -> {
            try (Connection c = stack.primary.connect(); PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO noise (payload) VALUES (repeat('n', 200))")) {
                while (on.get()) {
                    ps.executeUpdate();
                    Thread.sleep(5); // paces the background load at ~150 tx/s; not synchronisation
                }
            } catch (Exception e) {
                // stops with the test
            }
        }, "noise");
        t.start();
        return t;
    }

    private static boolean exists(Connection c, long id) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM ryw WHERE id = ?)")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Test
    void readYourWritesThroughTheRouterNeverMissesUnderLoadAndDirectFollowerReadsDo() throws Exception {
        AtomicBoolean on = new AtomicBoolean(true);
        Thread noise = noise(on);
        try (SluiceClient client = client().build(); Connection w = stack.primary.connect()) {
            w.setAutoCommit(false);
            ReadPolicy policy = new ReadPolicy(Duration.ofSeconds(2), true);
            int misses = 0;
            for (long i = 1; i <= 300; i++) {
                try (PreparedStatement ps = w.prepareStatement("INSERT INTO ryw VALUES (?, 'x')")) {
                    ps.setLong(1, i);
                    ps.executeUpdate();
                }
                ConsistencyToken token = client.commit(w);
                long id = i;
                if (!client.read(token, policy, c -> exists(c, id))) {
                    misses++;
                }
            }
            assertThat(misses).as("reads with a token that missed their own write").isZero();
            assertThat(client.metrics()).containsKey("reads_follower_f0");
            long viaFollowers = client.metrics().getOrDefault("reads_follower_f0", 0L)
                    + client.metrics().getOrDefault("reads_follower_f1", 0L);
            assertThat(viaFollowers).as("most reads served by followers, not the primary: " + client.metrics())
                    .isGreaterThan(270);

            // Without a token a follower read right after commit misses the write whenever the follower
            // has not applied it yet. A follower session holding a lock the applier's insert needs makes
            // that "not yet" certain rather than a matter of timing; the token read still sees the row.
            try (Connection hold = stack.followers.get(1).connect()) {
                hold.setAutoCommit(false);
                try (Statement st = hold.createStatement()) {
                    st.execute("LOCK TABLE ryw IN SHARE MODE");
                }
                try (PreparedStatement ps = w.prepareStatement("INSERT INTO ryw VALUES (301, 'x')")) {
                    ps.executeUpdate();
                }
                ConsistencyToken token = client.commit(w);
                try (Connection f = stack.followers.get(1).connect()) {
                    assertThat(exists(f, 301)).as("without a token a follower read misses the write").isFalse();
                }
                boolean seen = client.read(token, policy, c -> exists(c, 301));
                assertThat(seen).as("with the token the same read sees it").isTrue();
                hold.rollback();
            }
            Await.until(Duration.ofSeconds(30), () -> "f1 applies the write once the lock is gone",
                    () -> stack.followers.get(1).queryScalar("SELECT count(*) FROM ryw WHERE id = 301").equals("1"));
        } finally {
            on.set(false);
            noise.join();
        }
    }

    @Test
    void aSessionAlternatingBetweenALaggingAndACurrentFollowerNeverSeesTheCountGoDown() throws Exception {
        AtomicBoolean on = new AtomicBoolean(true);
        AtomicLong inserted = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = stack.primary.connect(); Statement st = c.createStatement()) {
                while (on.get()) {
                    st.executeUpdate("INSERT INTO counter_rows DEFAULT VALUES");
                    inserted.incrementAndGet();
                    Thread.sleep(2); // paces the writer; not synchronisation
                }
            } catch (Exception e) {
                // stops with the test
            }
        }, "counter-writer");
        writer.start();
        StreamApplier f1 = appliers.get(1);
        try (SluiceClient client = client().build()) {
            Await.until(Duration.ofSeconds(30), () -> "rows on f1", () -> Long.parseLong(
                    stack.followers.get(1).queryScalar("SELECT count(*) FROM counter_rows")) > 50);
            f1.close(); // f1 now lags further and further behind f0
            Await.until(Duration.ofSeconds(30), () -> "f0 ahead of f1", () -> Long.parseLong(
                    stack.followers.get(0).queryScalar("SELECT count(*) FROM counter_rows")) > Long.parseLong(
                    stack.followers.get(1).queryScalar("SELECT count(*) FROM counter_rows")) + 100);
            // Without a session, alternating reads go back in time.
            List<Long> direct = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                direct.add(Long.parseLong(stack.followers.get(i % 2).queryScalar("SELECT count(*) FROM counter_rows")));
            }
            assertThat(decreases(direct)).as("direct alternating reads " + direct).isPositive();

            Session session = client.session();
            List<Long> seen = new ArrayList<>();
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                if (i == 150) {
                    // The writer stops and f1 restarts and catches up: then it serves the session again.
                    on.set(false);
                    writer.join();
                    f1 = new StreamApplier(stack.applier(SOURCE, 1));
                    f1.start();
                    appliers.set(1, f1);
                    stack.awaitEqual(1, "counter_rows", Duration.ofSeconds(60));
                }
                SluiceClient.Routed<Long> r = client.readRouted(session, i % 2 == 0 ? "f0" : "f1", ReadPolicy.primaryIfBehind(),
                        c -> {
                            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM counter_rows")) {
                                rs.next();
                                return rs.getLong(1);
                            }
                        });
                seen.add(r.value());
                targets.add(r.target());
            }
            assertThat(targets.subList(0, 150)).as("while f1 lags, the session is served by f0 (or the primary)")
                    .doesNotContain("f1");
            assertThat(decreases(seen)).as("session reads " + seen + " via " + targets).isZero();
            assertThat(targets).as("the lagging follower served the session once caught up").contains("f1");
        } finally {
            on.set(false);
            writer.join();
        }
    }

    private static int decreases(List<Long> values) {
        int n = 0;
        for (int i = 1; i < values.size(); i++) {
            if (values.get(i) < values.get(i - 1)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aFollowerNeverShowsATransactionWithoutEverythingCommittedBeforeIt() throws Exception {
        AtomicBoolean on = new AtomicBoolean(true);
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicLong checks = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (Connection f = stack.followers.get(0).connect(); Statement st = f.createStatement()) {
                while (on.get()) {
                    try (ResultSet rs = st.executeQuery("SELECT count(*), (SELECT count(*) FROM prefix_b) FROM prefix_b b"
                            + " WHERE NOT EXISTS (SELECT 1 FROM prefix_a a WHERE a.id = b.a)")) {
                        rs.next();
                        if (rs.getLong(1) > 0) {
                            violations.add("b rows without their a: " + rs.getLong(1));
                        }
                        if (rs.getLong(2) > 0) {
                            checks.incrementAndGet(); // a check while rows were arriving
                        }
                    } catch (java.sql.SQLException e) {
                        if (!"42P01".equals(e.getSQLState())) {
                            throw e; // the tables appear with their first applied rows
                        }
                    }
                }
            } catch (Exception e) {
                violations.add(e.toString());
            }
        }, "prefix-reader");
        reader.start();
        try (Connection c = stack.primary.connect(); Statement st = c.createStatement()) {
            for (int i = 1; i <= 2000; i++) {
                // Two separate transactions: b's commit follows a's.
                st.executeUpdate("INSERT INTO prefix_a VALUES (" + i + ")");
                st.executeUpdate("INSERT INTO prefix_b VALUES (" + i + ", " + i + ")");
            }
        }
        stack.awaitEqual(0, "prefix_b", Duration.ofSeconds(60));
        on.set(false);
        reader.join();
        assertThat(checks.get()).isPositive();
        assertThat(violations).isEmpty();
    }

    @Test
    void theMonitorServesTokenWaitsOverHttp() throws Exception {
        io.sluice.monitor.MonitorConfig mc = new io.sluice.monitor.MonitorConfig(SOURCE,
                new io.sluice.monitor.MonitorConfig.Endpoint(stack.primary.jdbcUrl(), Stack.superuser()), "slot_" + SOURCE,
                java.util.Map.of("bootstrap.servers", stack.kafka.bootstrapServers()),
                List.of(new io.sluice.monitor.MonitorConfig.FollowerTarget("f0",
                        new io.sluice.monitor.MonitorConfig.Endpoint(stack.followers.get(0).jdbcUrl(), Stack.superuser()), true,
                        io.sluice.monitor.Rule.stalenessDefaults())),
                Duration.ofSeconds(1), io.sluice.monitor.Rule.stalenessDefaults(), io.sluice.monitor.Rule.slotDefaults(),
                new io.sluice.monitor.MonitorConfig.Http(true, "127.0.0.1", 0, java.util.Optional.empty(), 2),
                io.sluice.monitor.MonitorConfig.Webhooks.none());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        try (io.sluice.monitor.LagMonitor monitor = new io.sluice.monitor.LagMonitor(mc, java.time.Clock.systemUTC());
             SluiceClient client = client().build(); Connection w = stack.primary.connect()) {
            monitor.start();
            String base = "http://127.0.0.1:" + monitor.httpAddress().orElseThrow().getPort() + "/await?";
            w.setAutoCommit(false);
            w.createStatement().executeUpdate("INSERT INTO sync_t DEFAULT VALUES");
            ConsistencyToken t = client.commit(w);
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    base + "token=" + t + "&follower=f0&timeout_ms=10000")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"satisfied\":true", "\"follower\":\"f0\"");
            assertThat(client.satisfies("f0", t)).isTrue();
            // A transaction that never happened: the wait ends at its timeout, unsatisfied.
            ConsistencyToken never = new ConsistencyToken(SOURCE, t.xid() + 1_000_000, t.lsnBound());
            r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "token=" + never
                    + "&follower=f0&timeout_ms=200")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).contains("\"satisfied\":false");
            r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "token=v1.cons.x.00&follower=f0"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("malformed consistency token");
            r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "token=" + t + "&follower=nope"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void quorumTimesOutNamingTheStoppedSyncFollowerAndSemiSyncPromotesAnother() throws Exception {
        StreamApplier f2 = appliers.get(2);
        List<SluiceClient.Event> events = new CopyOnWriteArrayList<>();
        SluiceClient.Builder base = SluiceClient.builder(SOURCE).primary(ds(stack.primary))
                .follower("f2", ds(stack.followers.get(2)), true)
                .follower("f0", ds(stack.followers.get(0)), false);
        try (SluiceClient strict = base.build(); Connection w = stack.primary.connect()) {
            w.setAutoCommit(false);
            w.createStatement().executeUpdate("INSERT INTO sync_t DEFAULT VALUES");
            ConsistencyToken ok = strict.commit(w, Durability.quorum(1), Duration.ofSeconds(10));
            assertThat(strict.satisfies("f2", ok)).isTrue();

            f2.close(); // the sync follower stops applying
            w.createStatement().executeUpdate("INSERT INTO sync_t DEFAULT VALUES");
            assertThatThrownBy(() -> strict.commit(w, Durability.quorum(1), Duration.ofMillis(500)))
                    .isInstanceOf(SyncTimeoutException.class)
                    .hasMessageContaining("not visible on QUORUM(1) of sync followers [f2] within 500 ms")
                    .hasMessageContaining("f2 at watermark")
                    .hasMessageContaining("committed on the primary")
                    .satisfies(e -> assertThat(((SyncTimeoutException) e).missing()).containsExactly("f2"));
        }
        stack.followers.get(2).close(); // now the sync follower is down altogether
        try (SluiceClient semi = SluiceClient.builder(SOURCE).primary(ds(stack.primary))
                .follower("f2", ds(stack.followers.get(2)), true)
                .follower("f0", ds(stack.followers.get(0)), false)
                .semiSync(true).listener(events::add).build();
             Connection w = stack.primary.connect()) {
            w.setAutoCommit(false);
            w.createStatement().executeUpdate("INSERT INTO sync_t DEFAULT VALUES");
            ConsistencyToken t = semi.commit(w, Durability.quorum(1), Duration.ofSeconds(10));
            assertThat(semi.satisfies("f0", t)).as("visible on the promoted follower").isTrue();
            assertThat(events).anySatisfy(e -> {
                assertThat(e.kind()).isEqualTo("promoted");
                assertThat(e.message()).contains("f0 for f2");
            });
            assertThat(semi.metrics()).containsEntry("promotions", 1L).containsEntry("sync_ok", 1L);
        }
    }

    @Test
    void aQuorumReadAnswersWithTheFreshestFollowerAndWaitsForAToken() throws Exception {
        StreamApplier f1 = appliers.get(1);
        try (SluiceClient client = client().build(); Connection w = stack.primary.connect()) {
            w.setAutoCommit(false);
            w.createStatement().executeUpdate("INSERT INTO ryw (id, v) VALUES (900000, 'both')");
            ConsistencyToken both = client.commit(w);
            Await.until(Duration.ofSeconds(30), () -> "both followers to apply the first write",
                    () -> client.satisfies("f0", both) && client.satisfies("f1", both));
            f1.close(); // f1 stops applying: a quorum of two includes one follower without the next write
            w.createStatement().executeUpdate("INSERT INTO ryw (id, v) VALUES (900001, 'quorum')");
            ConsistencyToken t = client.commit(w);
            Await.until(Duration.ofSeconds(30), () -> "f0 to apply the write", () -> client.satisfies("f0", t));
            SqlFunction<Boolean> sees = c -> exists(c, 900001);
            for (int i = 0; i < 5; i++) {
                SluiceClient.Routed<Boolean> r = client.readQuorum(2, null, Duration.ZERO, sees);
                assertThat(r.target()).as("the freshest of the two").isEqualTo("f0");
                assertThat(r.value()).isTrue();
            }
            try (Connection f1Alone = stack.followers.get(1).connect()) {
                assertThat(exists(f1Alone, 900001)).as("f1 alone would not see it").isFalse();
            }
            assertThat(client.readQuorum(1, t, Duration.ofSeconds(5), sees).value()).isTrue();
            assertThatThrownBy(() -> client.readQuorum(2, t, Duration.ofMillis(300), sees))
                    .isInstanceOf(ReadUnavailableException.class)
                    .hasMessageContaining("fewer than 2 followers of 2 applied").hasMessageContaining("f1");
            assertThat(client.metrics()).containsEntry("reads_quorum", 6L).containsEntry("reads_unavailable", 1L);
        } finally {
            f1 = new StreamApplier(stack.applier(SOURCE, 1));
            f1.start();
            appliers.set(1, f1);
        }
    }
}
