package io.sluice.monitor.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;

/** The rate of a growing counter over a sliding time window (e.g. transaction ids per second). */
public final class RateWindow {

    private record Point(Instant at, long value) { }

    private final Duration window;
    private final ArrayDeque<Point> points = new ArrayDeque<>();

    public RateWindow(Duration window) {
        this.window = window;
    }

    public void record(Instant at, long value) {
        Point last = points.peekLast();
        if (last != null && value < last.value()) {
            points.clear(); // the counter went back (server restored or restarted): start over
        }
        points.addLast(new Point(at, value));
        while (points.size() > 2 && Duration.between(points.peekFirst().at(), at).compareTo(window) > 0) {
            points.pollFirst();
        }
    }

    /** Per second over the window; 0 until two points exist. */
    public double perSecond() {
        if (points.size() < 2) {
            return 0;
        }
        Point first = points.peekFirst();
        Point last = points.peekLast();
        double seconds = Duration.between(first.at(), last.at()).toNanos() / 1e9;
        return seconds <= 0 ? 0 : (last.value() - first.value()) / seconds;
    }
}
