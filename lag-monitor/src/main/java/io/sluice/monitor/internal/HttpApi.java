package io.sluice.monitor.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.sluice.monitor.LagMonitor;
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
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's HTTP API on the JDK's HttpServer: {@code GET /status}, {@code /metrics},
 * {@code /healthz}. Bounded against misbehaving clients: GET and HEAD only, no request body, a
 * request target of at most 2 KiB, four worker threads with a queue of 64 (beyond it the
 * connection is refused), and an optional bearer token (required everywhere but
 * {@code /healthz}, compared in constant time).
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final int MAX_TARGET = 2048;

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final MonitorConfig.Http config;
    private final LagMonitor monitor;

    private HttpApi(HttpServer server, ThreadPoolExecutor executor, MonitorConfig.Http config, LagMonitor monitor) {
        this.server = server;
        this.executor = executor;
        this.config = config;
        this.monitor = monitor;
    }

    public static HttpApi start(MonitorConfig.Http config, LagMonitor monitor) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "sluice-monitor-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
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
            default -> error(ex, 404, "no such path: " + path + " (try /status, /metrics, /healthz)");
        }
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
