package io.sluice.monitor.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.sluice.monitor.MonitorApi;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's HTTP API on the JDK's HttpServer: {@code GET /status}, {@code /metrics},
 * {@code /healthz}, {@code /await}. Bounded against misbehaving clients: GET and HEAD only, no
 * request body, a request target of at most 2 KiB, four worker threads plus one per allowed
 * concurrent long-poll ({@code maxConcurrentWaits}, beyond which /await answers 503) with a queue
 * of 64, and an optional bearer token (required everywhere but
 * {@code /healthz}, compared in constant time).
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final int MAX_TARGET = 2048;

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final MonitorConfig.Http config;
    private final MonitorApi monitor;
    private final java.util.concurrent.Semaphore waits;

    private HttpApi(HttpServer server, ThreadPoolExecutor executor, MonitorConfig.Http config, MonitorApi monitor) {
        this.server = server;
        this.executor = executor;
        this.config = config;
        this.monitor = monitor;
        this.waits = new java.util.concurrent.Semaphore(config.maxConcurrentWaits());
    }

    public static HttpApi start(MonitorConfig.Http config, MonitorApi monitor) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        // Four threads for quick requests plus one per allowed concurrent /await long-poll.
        int threads = 4 + config.maxConcurrentWaits();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "sluice-monitor-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        HttpApi api = new HttpApi(server, executor, config, monitor);
        server.createContext("/", api.guarded(api::route));
        server.start();
        if (!isLoopback(config.host()) && config.bearerToken().isEmpty()) {
            log.warn("the monitor's HTTP API listens on {} without a bearer token (set monitor.http.token)", config.host());
        }
        return api;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private interface Route {
        void handle(HttpExchange ex, String path) throws IOException;
    }

    private HttpHandler guarded(Route route) {
        return ex -> {
            try (ex) {
                String method = ex.getRequestMethod();
                String target = ex.getRequestURI().toString();
                if (target.length() > MAX_TARGET) {
                    error(ex, 414, "request target longer than " + MAX_TARGET + " bytes");
                    return;
                }
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    ex.getResponseHeaders().set("Allow", "GET, HEAD");
                    error(ex, 405, "method " + method + " not allowed; the API is read-only (GET)");
                    return;
                }
                String length = ex.getRequestHeaders().getFirst("Content-Length");
                String chunked = ex.getRequestHeaders().getFirst("Transfer-Encoding");
                if (length != null && !length.equals("0") || chunked != null) {
                    error(ex, 413, "requests must not carry a body");
                    return;
                }
                String path = ex.getRequestURI().getPath();
                if (!path.equals("/healthz") && !authorized(ex)) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"sluice\"");
                    error(ex, 401, "a bearer token is required (Authorization: Bearer <monitor.http.token>)");
                    return;
                }
                route.handle(ex, path);
            } catch (IOException | RuntimeException e) {
                log.debug("HTTP request failed: {}", e.toString());
            }
        };
    }

    private boolean authorized(HttpExchange ex) {
        Optional<String> token = config.bearerToken();
        if (token.isEmpty()) {
            return true;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                token.get().getBytes(StandardCharsets.UTF_8));
    }

    private void route(HttpExchange ex, String path) throws IOException {
        switch (path) {
            case "/status" -> {
                Optional<Status> s = monitor.status();
                if (s.isEmpty()) {
                    error(ex, 503, "no evaluation has completed yet");
                } else {
                    send(ex, 200, "application/json", Json.status(s.get()));
                }
            }
            case "/metrics" -> send(ex, 200, Metrics.CONTENT_TYPE,
                    Metrics.render(monitor.status().orElse(null), monitor.selfStats()).getBytes(StandardCharsets.UTF_8));
            case "/healthz" -> healthz(ex);
            case "/await" -> await(ex);
            default -> error(ex, 404, "no such path: " + path + " (try /status, /metrics, /healthz)");
        }
    }

    /**
     * {@code GET /await?token=T&follower=F[&timeout_ms=N]}: long-polls until follower F has applied
     * the token's transaction (woken by the applier's NOTIFY; for a follower whose watermark is a
     * position in Kafka, by the monitor's evaluations), or N ms pass (default 5,000, at most
     * 30,000). 200 with {@code satisfied} true or false; 400 for a bad token or timeout, 404 for an
     * unknown follower, 503 beyond {@code monitor.http.max.waits} concurrent waits.
     */
    private void await(HttpExchange ex) throws IOException {
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        String follower = q.get("follower");
        String tokenText = q.get("token");
        if (follower == null || tokenText == null) {
            error(ex, 400, "/await needs token=<consistency token> and follower=<name>");
            return;
        }
        io.sluice.format.ConsistencyToken token;
        long timeoutMs;
        try {
            token = io.sluice.format.ConsistencyToken.parse(tokenText);
            timeoutMs = Long.parseLong(q.getOrDefault("timeout_ms", "5000"));
        } catch (NumberFormatException e) {
            error(ex, 400, "timeout_ms must be a whole number of milliseconds");
            return;
        } catch (IllegalArgumentException e) {
            error(ex, 400, e.getMessage());
            return;
        }
        if (timeoutMs < 0 || timeoutMs > 30_000) {
            error(ex, 400, "timeout_ms must be between 0 and 30000, was " + timeoutMs);
            return;
        }
        if (!token.source().equals(monitor.config().sourceId())) {
            error(ex, 400, "token is for source '" + token.source() + "'; this monitor watches '" + monitor.config().sourceId() + "'");
            return;
        }
        boolean position = monitor.positionFollowers().contains(follower);
        if (!position && !monitor.waits().followerNames().contains(follower)) {
            java.util.Set<String> known = new java.util.TreeSet<>(monitor.waits().followerNames());
            known.addAll(monitor.positionFollowers());
            error(ex, 404, "no follower '" + follower + "'; known: " + known);
            return;
        }
        if (!waits.tryAcquire()) {
            error(ex, 503, "too many concurrent waits (monitor.http.max.waits = " + config.maxConcurrentWaits() + ")");
            return;
        }
        try {
            long start = System.nanoTime();
            boolean ok = position ? monitor.awaitPosition(token, follower, java.time.Duration.ofMillis(timeoutMs))
                    : monitor.waits().await(token, follower, java.time.Duration.ofMillis(timeoutMs));
            send(ex, 200, "application/json", Json.await(ok, follower, token.toString(), (System.nanoTime() - start) / 1e6));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(ex, 503, "the monitor is stopping");
        } finally {
            waits.release();
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new java.util.HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private void healthz(HttpExchange ex) throws IOException {
        Optional<Instant> last = monitor.lastEvaluatedAt();
        Duration limit = monitor.config().interval().multipliedBy(3).plusSeconds(5);
        Instant now = monitor.clock().instant();
        if (last.isEmpty()) {
            error(ex, 503, "no evaluation has completed yet");
        } else if (Duration.between(last.get(), now).compareTo(limit) > 0) {
            error(ex, 503, "the last evaluation finished at " + last.get() + ", more than " + limit.toSeconds() + " s ago");
        } else {
            send(ex, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    static void error(HttpExchange ex, int code, String message) throws IOException {
        send(ex, code, "application/json", Json.object("error", message));
    }

    static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
