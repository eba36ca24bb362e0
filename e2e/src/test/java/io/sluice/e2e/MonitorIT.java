package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.hawkular.agent.prometheus.types.MetricType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lag monitor on the embedded stack: a primary under write load, capture, two followers
 * with their appliers, a webhook receiver. One follower's applier is stopped and restarted.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MonitorIT {

    private static final String SOURCE = "mon";
    private static final String TOKEN = "s3cret-token";

    @TempDir
    static Path dir;
    static Stack stack;
    static HttpServer receiver;
    static final List<JsonNode> alerts = new CopyOnWriteArrayList<>();
    static final ObjectMapper json = new ObjectMapper();
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        stack = new Stack(dir, 2);
        stack.primary.execute("CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL)");
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/alerts", ex -> {
            try (ex; InputStream in = ex.getRequestBody()) {
                alerts.add(json.readTree(in.readAllBytes()));
                ex.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.stop(0);
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** WARN at 1 s, CRIT at 3 s, each held 1 s; clears below 80 % for 1 s; no stall within the test. */
    private static Rule rule() {
        return new Rule(Rule.Unit.SECONDS, 1, 3, Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1), Duration.ofSeconds(120),
                Duration.ofSeconds(2));
    }

    private static MonitorConfig config(boolean webhook) {
        List<MonitorConfig.FollowerTarget> followers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            followers.add(new MonitorConfig.FollowerTarget("f" + i,
                    new MonitorConfig.Endpoint(stack.followers.get(i).jdbcUrl(), Stack.superuser()), i == 0, rule()));
        }
        return new MonitorConfig(SOURCE, new MonitorConfig.Endpoint(stack.primary.jdbcUrl(), Stack.superuser()),
                "slot_" + SOURCE, Map.of("bootstrap.servers", stack.kafka.bootstrapServers()), followers,
                Duration.ofMillis(200), rule(), Rule.slotDefaults(),
                new MonitorConfig.Http(true, "127.0.0.1", 0, Optional.of(TOKEN), 8),
                webhook ? new MonitorConfig.Webhooks(List.of(URI.create("http://127.0.0.1:" + receiver.getAddress().getPort()
                        + "/alerts")), Duration.ofSeconds(2), 3) : MonitorConfig.Webhooks.none());
    }

    private static List<String> transitions(String name) {
        List<String> out = new ArrayList<>();
        for (JsonNode a : alerts) {
            if (a.path("name").asText().equals(name)) {
                out.add(a.path("from").asText() + "->" + a.path("to").asText());
            }
        }
        return out;
    }

    /** Waits for {@code n} more evaluations: the condition to check "nothing more happened" against. */
    private static void awaitEvaluations(LagMonitor monitor, int n) {
        long target = monitor.selfStats().evaluations() + n;
        Await.until(Duration.ofSeconds(30), () -> n + " more evaluations", () -> monitor.selfStats().evaluations() >= target);
    }

    @Test
    void aStoppedApplierGoesWarnThenCritWithOneAlertEachAndRecoversOnceRestarted() throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread load = new Thread(() -> {
            while (writing.get()) {
                try {
                    stack.primary.execute("INSERT INTO events (payload) VALUES (repeat('x', 100))");
                    written.incrementAndGet();
                    Thread.sleep(20); // paces the load at ~50 tx/s; not synchronisation
                } catch (Exception e) {
                    return;
                }
            }
        }, "load");
        try (CaptureService capture = new CaptureService(stack.capture(SOURCE, List.of("public.events"), false));
             LagMonitor monitor = new LagMonitor(config(true), Clock.systemUTC())) {
            capture.start();
            StreamApplier f0 = new StreamApplier(stack.applier(SOURCE, 0));
            StreamApplier f1 = new StreamApplier(stack.applier(SOURCE, 1));
            f0.start();
            f1.start();
            load.start();
            Await.until(Duration.ofSeconds(60), () -> "rows on both followers", () -> written.get() > 20
                    && Long.parseLong(stack.followers.get(0).queryScalar("SELECT count(*) FROM events")) > 0
                    && Long.parseLong(stack.followers.get(1).queryScalar("SELECT count(*) FROM events")) > 0);
            monitor.start();
            awaitEvaluations(monitor, 10);
            assertThat(alerts).as("a healthy pipeline under load raises nothing").isEmpty();
            assertThat(monitor.status().orElseThrow().followers()).allSatisfy(f ->
                    assertThat(f.state()).as(f.name()).isEqualTo(io.sluice.monitor.State.OK));

            f0.close();
            Await.until(Duration.ofSeconds(30), () -> "WARN then CRIT for f0; alerts so far " + transitions("follower:f0"),
                    () -> transitions("follower:f0").contains("WARN->CRIT"));
            awaitEvaluations(monitor, 10);
            assertThat(transitions("follower:f0")).containsExactly("OK->WARN", "WARN->CRIT");
            JsonNode status = get(monitor, "/status", TOKEN);
            JsonNode f0Status = status.path("followers").get(0);
            assertThat(f0Status.path("state").asText()).isEqualTo("CRIT");
            assertThat(f0Status.path("staleness_seconds").asDouble()).isGreaterThanOrEqualTo(3);
            assertThat(f0Status.path("at_risk_transactions").asLong()).as("write rate x staleness").isPositive();
            assertThat(f0Status.path("at_risk_bytes").asLong()).isPositive();
            assertThat(f0Status.path("transport").path("lag_records").asLong()).isPositive();

            f0 = new StreamApplier(stack.applier(SOURCE, 0));
            f0.start();
            Await.until(Duration.ofSeconds(30), () -> "recovery of f0; alerts so far " + transitions("follower:f0"),
                    () -> transitions("follower:f0").contains("CRIT->OK"));
            awaitEvaluations(monitor, 10);
            writing.set(false);
            load.join();
            assertThat(transitions("follower:f0")).containsExactly("OK->WARN", "WARN->CRIT", "CRIT->OK");
            assertThat(transitions("follower:f1")).as("the other follower stays OK throughout").isEmpty();
            assertThat(alerts).as("nothing but f0's three transitions").hasSize(3);
            assertThat(alerts.get(1).path("reason").asText()).contains("crit at 3");
            stack.awaitEqual(0, "events", Duration.ofSeconds(60));

            // Idle: everything caught up, staleness 0 (not "time since the last write").
            Await.until(Duration.ofSeconds(30), () -> "zero staleness once idle: " + monitor.status(),
                    () -> monitor.status().orElseThrow().followers().stream().allMatch(f -> f.stalenessSeconds() == 0)
                            && monitor.status().orElseThrow().captureLag().stalenessSeconds() == 0);
            checkMetrics(monitor);
            f0.close();
            f1.close();
        }
    }

    private static JsonNode get(LagMonitor monitor, String path, String token) throws Exception {
        HttpResponse<String> r = request(monitor, path, token);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private static HttpResponse<String> request(LagMonitor monitor, String path, String token) throws Exception {
        InetSocketAddress a = monitor.httpAddress().orElseThrow();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** /metrics through an independent Prometheus text-format parser; every family documented. */
    private static void checkMetrics(LagMonitor monitor) throws Exception {
        HttpResponse<String> r = request(monitor, "/metrics", TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(
                new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
        Set<String> families = new TreeSet<>();
        int samples = 0;
        for (MetricFamily f = parser.parse(); f != null; f = parser.parse()) {
            assertThat(families.add(f.getName())).as("family %s appears once", f.getName()).isTrue();
            assertThat(f.getName()).matches("sluice_[a-z0-9_]+");
            if (f.getType() == MetricType.COUNTER) {
                assertThat(f.getName()).endsWith("_total");
            }
            for (Metric m : f.getMetrics()) {
                samples++;
                if (m instanceof Histogram h) {
                    long previous = 0;
                    for (Histogram.Bucket bucket : h.getBuckets()) {
                        assertThat(bucket.getCumulativeCount()).as("cumulative buckets of %s", f.getName()).isGreaterThanOrEqualTo(previous);
                        previous = bucket.getCumulativeCount();
                    }
                    assertThat(h.getBuckets().get(h.getBuckets().size() - 1).getUpperBound()).isInfinite();
                    assertThat(previous).as("+Inf bucket = count").isEqualTo(h.getSampleCount());
                    assertThat(h.getSampleCount()).as("latency samples of %s", m.getLabels()).isPositive();
                }
            }
        }
        assertThat(families).contains("sluice_follower_staleness_seconds", "sluice_capture_staleness_seconds",
                "sluice_end_to_end_latency_seconds", "sluice_alerts_total", "sluice_slot_retained_wal_bytes");
        assertThat(samples).isGreaterThan(50);
        String operations = Files.readString(Path.of("..", "docs", "operations.md"));
        assertThat(families).allSatisfy(name -> assertThat(operations).as("docs/operations.md documents " + name)
                .contains("`" + name + "`"));

        assertThat(request(monitor, "/metrics", null).statusCode()).as("no token").isEqualTo(401);
        assertThat(request(monitor, "/metrics", "wrong").statusCode()).as("wrong token").isEqualTo(401);
        assertThat(request(monitor, "/healthz", null).statusCode()).as("/healthz needs no token").isEqualTo(200);
        assertThat(request(monitor, "/nope", TOKEN).statusCode()).isEqualTo(404);
        InetSocketAddress a = monitor.httpAddress().orElseThrow();
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/status"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("x".repeat(10_000))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> longTarget = request(monitor, "/status?" + "q".repeat(5000), TOKEN);
        assertThat(longTarget.statusCode()).isEqualTo(414);
    }
}
