package io.sluice.monitor.internal;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Token waits on followers whose watermark is only a position (change topics, DuckDB): the
 * token's transaction is found on the stream ({@link TokenLocator}), and the wait ends when the
 * follower's watermark, as the monitor last read it, reaches its commit LSN — checked again after
 * each evaluation, so an answer comes within an evaluation interval (plus, for DuckDB, the second
 * its applier may take to publish its watermark). Thread-safe.
 */
public final class PositionWaits implements AutoCloseable {

    private final TokenLocator locator;
    private final Object evaluated = new Object();

    public PositionWaits(String sourceId, Map<String, Object> kafka) {
        this.locator = new TokenLocator(sourceId, kafka);
    }

    /** Wakes the waits: a new evaluation read the watermarks. */
    public void evaluated() {
        synchronized (evaluated) {
            evaluated.notifyAll();
        }
    }

    /** Whether {@code watermark} reaches the token's transaction within {@code timeout}. */
    public boolean await(ConsistencyToken token, Supplier<Lsn> watermark, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<Lsn> commit = locator.commitLsn(token, deadline);
        if (commit.isEmpty()) {
            return false;
        }
        synchronized (evaluated) {
            while (true) {
                Lsn w = watermark.get();
                if (w != null && !commit.get().isAfter(w)) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                evaluated.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    @Override
    public void close() {
        locator.close();
    }
}
