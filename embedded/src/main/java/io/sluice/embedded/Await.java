package io.sluice.embedded;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Waits for a condition with a timeout, for tests and the demo: never a bare sleep as
 * synchronisation. The condition is polled every 10 ms; an exception it throws counts as "not
 * yet", and the last one is attached to the timeout.
 */
public final class Await {

    private Await() {
    }

    /**
     * Blocks until {@code condition} returns true.
     *
     * @throws AssertionError naming what was awaited and for how long, with the last failure
     */
    public static void until(Duration timeout, Supplier<String> awaited, Callable<Boolean> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
            } catch (Exception | AssertionError e) {
                last = e;
            }
            if (System.nanoTime() - deadline > 0) {
                AssertionError error = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for "
                        + awaited.get() + (last == null ? "" : "; last failure: " + last));
                if (last != null) {
                    error.initCause(last);
                }
                throw error;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + awaited.get(), e);
            }
        }
    }
}
