package io.sluice.capture.internal;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture's way back to a primary after losing it: attempts to open capture again, at growing
 * intervals (an attempt on a host that is down or still a standby costs a refused connection),
 * until one succeeds, the time is up, or an attempt fails for a reason other than a
 * missing connection (a slot that did not follow to the new primary, say), which no waiting fixes.
 */
public final class Reconnector {

    private static final Logger log = LoggerFactory.getLogger(Reconnector.class);
    private static final Duration FIRST_WAIT = Duration.ofMillis(100);
    private static final Duration LONGEST_WAIT = Duration.ofMillis(500);
    /** Besides SQLSTATE class 08: the server shutting down, or starting up (a standby being promoted). */
    private static final Set<String> UNAVAILABLE = Set.of("57P01", "57P02", "57P03");

    /** Waits up to a duration; true when capture is being stopped and no more attempts should be made. */
    public interface Pause {
        boolean stopped(Duration wait) throws InterruptedException;
    }

    private final Clock clock;
    private final Duration timeout;
    private final Pause pause;

    public Reconnector(Clock clock, Duration timeout, Pause pause) {
        this.clock = clock;
        this.timeout = timeout;
        this.pause = pause;
    }

    /** Whether {@code e} says the primary could not be reached, rather than that something is wrong with it. */
    public static boolean isConnectionLoss(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || UNAVAILABLE.contains(s.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code attempt} until it returns; after each failed one runs {@code cleanUp} and waits.
     *
     * @return true once an attempt succeeded, false if stopped while waiting
     * @throws RuntimeException the last attempt's failure when it was not a connection loss or time ran out
     */
    public boolean reconnect(Runnable attempt, Runnable cleanUp) throws InterruptedException {
        Instant deadline = clock.instant().plus(timeout);
        Duration wait = FIRST_WAIT;
        for (int n = 1; ; n++) {
            try {
                attempt.run();
                return true;
            } catch (RuntimeException e) {
                cleanUp.run();
                if (!isConnectionLoss(e) || !clock.instant().isBefore(deadline)) {
                    throw e;
                }
                log.info("no primary to capture from yet (attempt {}): {}", n, e.getMessage());
            }
            if (pause.stopped(wait)) {
                return false;
            }
            wait = wait.multipliedBy(2).compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : wait.multipliedBy(2);
        }
    }
}
