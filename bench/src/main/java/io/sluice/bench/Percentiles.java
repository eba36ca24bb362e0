package io.sluice.bench;

import java.util.Arrays;

/** Percentiles of a set of samples (microseconds), nearest-rank. */
record Percentiles(long count, double p50, double p95, double p99, double max) {

    static Percentiles ofMicros(long[] samples, int n) {
        if (n == 0) {
            return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        long[] s = Arrays.copyOf(samples, n);
        Arrays.sort(s);
        return new Percentiles(n, rank(s, 0.50), rank(s, 0.95), rank(s, 0.99), s[n - 1] / 1000.0);
    }

    private static double rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
    }

    String ms() {
        return String.format("p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)", p50, p95, p99, max, count);
    }
}
