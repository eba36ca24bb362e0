package io.sluice.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Which followers are out of read rotation: a check takes a follower out once its staleness passes
 * the maximum, and brings it back once under min(1 s, max / 2) — hysteresis, so a follower near the
 * bound does not flap. A follower whose staleness is unknown keeps its place. Once started, a thread
 * of its own checks every second; a check reads no clock. Thread-safe.
 */
final class ReadRotation implements AutoCloseable {

    /** How often read rotation re-checks each follower's staleness. */
    private static final Duration PERIOD = Duration.ofSeconds(1);

    /** A follower leaving ({@code rotation_out}) or rejoining ({@code rotation_in}) read rotation. */
    record Change(String kind, String follower, String message) { }

    private final List<String> followers;
    private final StalenessSource staleness;
    private final double maxSeconds;
    private final Set<String> out = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-client-rotation");
        t.setDaemon(true);
        return t;
    });

    ReadRotation(List<String> followers, StalenessSource staleness, Duration max) {
        this.followers = List.copyOf(followers);
        this.staleness = staleness;
        this.maxSeconds = max.toMillis() / 1000.0;
    }

    /** Checks every second from now on, each change counted, told and signalled to waiting reads. */
    void start(ClientEvents events, Signal signal) {
        thread.scheduleWithFixedDelay(() -> {
            for (Change c : check()) {
                events.count(c.kind());
                events.event(c.kind(), c.follower(), c.message());
                signal.bump();
            }
            events.count("rotation_checks");
        }, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    /** One look at every follower's staleness; the changes it made. */
    List<Change> check() {
        List<Change> changes = new ArrayList<>();
        for (String name : followers) {
            OptionalDouble s;
            try {
                s = staleness.stalenessSeconds(name);
            } catch (RuntimeException e) {
                s = OptionalDouble.empty();
            }
            if (s.isEmpty()) {
                continue;
            }
            double seconds = s.getAsDouble();
            if (!out.contains(name) && seconds > maxSeconds) {
                out.add(name);
                changes.add(new Change("rotation_out", name, String.format(Locale.ROOT,
                        "follower %s out of read rotation: staleness %.1f s > %.0f s", name, seconds, maxSeconds)));
            } else if (out.contains(name) && seconds < Math.min(1.0, maxSeconds / 2)) {
                out.remove(name);
                changes.add(new Change("rotation_in", name, String.format(Locale.ROOT,
                        "follower %s back in read rotation: staleness %.1f s", name, seconds)));
            }
        }
        return changes;
    }

    boolean isOut(String follower) {
        return out.contains(follower);
    }

    Set<String> outOfRotation() {
        return Set.copyOf(out);
    }
}
