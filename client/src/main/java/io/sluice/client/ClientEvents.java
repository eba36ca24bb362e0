package io.sluice.client;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A client's counters ({@link SluiceClient#metrics()}) and the events its listener hears, logged as they happen. */
final class ClientEvents {

    private static final Logger log = LoggerFactory.getLogger(SluiceClient.class);

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final Consumer<SluiceClient.Event> listener;

    ClientEvents(Consumer<SluiceClient.Event> listener) {
        this.listener = listener;
    }

    void count(String name) {
        counters.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    /** Logs the event (a return to normal at INFO, the rest at WARN) and hands it to the listener. */
    void event(String kind, String follower, String message) {
        if (kind.equals("rotation_in") || kind.equals("promotion_ended")) {
            log.info("{}", message);
        } else {
            log.warn("{}", message);
        }
        try {
            listener.accept(new SluiceClient.Event(kind, follower, message));
        } catch (RuntimeException e) {
            log.warn("client event listener failed: {}", e.toString());
        }
    }

    Map<String, Long> counts() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
