package io.sluice.monitor.internal;

import io.sluice.monitor.Status;
import java.util.Arrays;

/**
 * End-to-end latency samples: quantiles over the most recent samples, and a cumulative
 * Prometheus-style histogram over all of them.
 */
public final class LatencyWindow {

    /** Bucket upper bounds in seconds, from "synchronous-grade" to "someone should look". */
    public static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    private final double[] recent;
    private int next;
    private int size;
    private final long[] buckets = new long[BOUNDS.length];
    private long count;
    private double sum;

    public LatencyWindow(int window) {
        this.recent = new double[window];
    }

    public void record(double seconds) {
        double s = Math.max(0, seconds);
        recent[next] = s;
        next = (next + 1) % recent.length;
        size = Math.min(size + 1, recent.length);
        count++;
        sum += s;
        for (int i = 0; i < BOUNDS.length; i++) {
            if (s <= BOUNDS[i]) {
                buckets[i]++;
            }
        }
    }

    public Status.LatencySummary summary() {
        double[] sorted = Arrays.copyOf(recent, size);
        Arrays.sort(sorted);
        return new Status.LatencySummary(count, sum, quantile(sorted, 0.50), quantile(sorted, 0.95), quantile(sorted, 0.99),
                size == 0 ? 0 : sorted[size - 1], BOUNDS.clone(), buckets.clone());
    }

    /** Nearest-rank quantile; 0 when empty. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
