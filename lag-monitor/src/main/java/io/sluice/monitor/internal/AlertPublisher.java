package io.sluice.monitor.internal;

import io.sluice.monitor.Alert;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.State;
import io.sluice.monitor.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the monitor's alerts go: the log, the webhooks and the listeners, each alert counted by
 * name and state for {@code /metrics}; and the automatic promotion's decisions, kept for
 * {@code /status} and sent as {@code failover} alerts. Thread-safe.
 */
public final class AlertPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger("io.sluice.monitor.LagMonitor");
    private static final int DECISIONS_KEPT = 20;

    private final String sourceId;
    private final WebhookNotifier webhooks;
    private final List<Consumer<Alert>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<Status.Decision> decisions = new ConcurrentLinkedDeque<>();
    private volatile State promotionLevel = State.OK;

    public AlertPublisher(String sourceId, MonitorConfig.Webhooks webhooks) {
        this.sourceId = sourceId;
        this.webhooks = new WebhookNotifier(webhooks);
    }

    public void start() {
        webhooks.start();
    }

    /** Receives every alert, on the publishing thread: keep it quick. */
    public void addListener(Consumer<Alert> listener) {
        listeners.add(listener);
    }

    public void publish(Alert a) {
        counts.computeIfAbsent(a.name() + "|" + a.to().label(), k -> new AtomicLong()).incrementAndGet();
        if (a.recovery()) {
            log.info("RECOVERED {}", a);
        } else if (a.to() == State.WARN) {
            log.warn("ALERT {}", a);
        } else {
            log.error("ALERT {}", a);
        }
        webhooks.send(a);
        for (Consumer<Alert> l : listeners) {
            try {
                l.accept(a);
            } catch (RuntimeException e) {
                log.warn("alert listener failed: {}", e.toString());
            }
        }
    }

    /**
     * A decision of the automatic promotion (docs/failover.md): kept for {@code /status} and sent at
     * once as a {@code failover} alert ({@code level} WARN while it is waiting to promote or
     * promoting, OK when the primary answers again).
     */
    public void promotionDecision(State level, String text, Instant now) {
        decisions.addLast(new Status.Decision(now, level, text));
        while (decisions.size() > DECISIONS_KEPT) {
            decisions.pollFirst();
        }
        publish(new Alert(sourceId, "failover", null, promotionLevel, level, now, text, 0));
        promotionLevel = level;
    }

    /** The promotion's last decisions, oldest first. */
    public List<Status.Decision> decisions() {
        return List.copyOf(decisions);
    }

    /** Alerts sent so far, by {@code name|state}. */
    public Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public WebhookNotifier webhooks() {
        return webhooks;
    }

    @Override
    public void close() {
        webhooks.close();
    }
}
