package io.sluice.monitor.internal;

import io.sluice.monitor.Alert;
import io.sluice.monitor.MonitorConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs each alert as JSON to every configured URL, on its own thread: the evaluation thread only
 * enqueues (bounded; when full the alert is dropped, logged and counted, never blocking the
 * monitor). Each POST has the configured timeout and is retried with exponential backoff
 * (0.5 s, 1 s, 2 s, ...) on a network error or a non-2xx answer.
 */
public final class WebhookNotifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookNotifier.class);

    private record Delivery(URI url, Alert alert) { }

    private final MonitorConfig.Webhooks config;
    private final BlockingQueue<Delivery> queue = new ArrayBlockingQueue<>(1000);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private HttpClient client;
    private Thread thread;
    private volatile boolean running;

    public WebhookNotifier(MonitorConfig.Webhooks config) {
        this.config = config;
    }

    public synchronized void start() {
        if (config.urls().isEmpty() || thread != null) {
            return;
        }
        client = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
        running = true;
        thread = new Thread(this::run, "sluice-monitor-webhooks");
        thread.setDaemon(true);
        thread.start();
    }

    public void send(Alert alert) {
        for (URI url : config.urls()) {
            if (!queue.offer(new Delivery(url, alert))) {
                dropped.incrementAndGet();
                log.warn("webhook queue full: alert {} to {} dropped", alert.name(), url);
            }
        }
    }

    private void run() {
        while (running) {
            Delivery d;
            try {
                d = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (d != null) {
                deliver(d);
            }
        }
    }

    private void deliver(Delivery d) {
        byte[] body = Json.alert(d.alert());
        long backoff = 500;
        for (int attempt = 0; attempt <= config.retries() && running; attempt++) {
            try {
                HttpRequest request = HttpRequest.newBuilder(d.url()).timeout(config.timeout())
                        .header("Content-Type", "application/json")
                        .header("User-Agent", "sluice-lag-monitor")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() / 100 == 2) {
                    sent.incrementAndGet();
                    return;
                }
                log.warn("webhook {} answered {} to alert {} (attempt {})", d.url(), response.statusCode(),
                        d.alert().name(), attempt + 1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.warn("webhook {} failed for alert {} (attempt {}): {}", d.url(), d.alert().name(), attempt + 1, e.toString());
            }
            if (attempt < config.retries()) {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
        failed.incrementAndGet();
        log.error("webhook {} gave up on alert {} after {} attempt(s)", d.url(), d.alert(), config.retries() + 1);
    }

    public long sent() {
        return sent.get();
    }

    public long failed() {
        return failed.get();
    }

    public long dropped() {
        return dropped.get();
    }

    @Override
    public synchronized void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
