package io.sluice.client;

/**
 * A change counter that waiters block on: every follower watch bumps the one signal of its
 * client, so a wait over several followers (any-of, quorum) wakes on any of them.
 */
final class Signal {

    private long version;

    synchronized void bump() {
        version++;
        notifyAll();
    }

    synchronized long version() {
        return version;
    }

    /**
     * Blocks until {@code condition} holds (checked now and after every bump) or the deadline
     * ({@link System#nanoTime()}) passes.
     */
    boolean await(java.util.function.BooleanSupplier condition, long deadlineNanos) throws InterruptedException {
        while (true) {
            long seen = version();
            if (condition.getAsBoolean()) {
                return true;
            }
            synchronized (this) {
                while (version == seen) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    long ms = left / 1_000_000;
                    wait(ms, (int) (ms == 0 ? Math.max(1, left % 1_000_000) : 0));
                }
            }
        }
    }
}
