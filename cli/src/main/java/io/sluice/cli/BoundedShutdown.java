package io.sluice.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM (or Ctrl-C) stops a serving command within {@link #BOUND}: the component is closed on
 * a thread of its own, and if that has not finished in time — a primary, follower or broker that
 * does not answer can hold a close for minutes — the process halts. Halting loses nothing: capture
 * confirms the slot only after Kafka acknowledged, and an applier's work counts only once its
 * follower transaction committed with the watermark, so whatever was in flight is read again on
 * the next start.
 */
final class BoundedShutdown {

    private static final Logger log = LoggerFactory.getLogger(BoundedShutdown.class);
    static final Duration BOUND = Duration.ofSeconds(10);
    /** The exit status of a process ended by SIGTERM (128 + 15). */
    static final int HALT_STATUS = 143;

    private BoundedShutdown() {
    }

    /** Installs the hook; the returned latch opens once {@code component} has closed. */
    static CountDownLatch install(String name, AutoCloseable component) {
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Thread closer = new Thread(() -> {
                try {
                    component.close();
                } catch (Exception e) {
                    log.warn("{}: closing failed: {}", name, e.toString());
                } finally {
                    closed.countDown();
                }
            }, name + "-close");
            closer.setDaemon(true);
            closer.start();
            try {
                if (!closed.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                    String why = name + " did not stop within " + BOUND.toSeconds() + " s (is an endpoint unreachable?);"
                            + " halting. Nothing is lost: what was in flight is read again on the next start";
                    log.warn(why);
                    System.err.println(why);
                    Runtime.getRuntime().halt(HALT_STATUS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Runtime.getRuntime().halt(HALT_STATUS);
            }
        }, name + "-shutdown"));
        return closed;
    }
}
