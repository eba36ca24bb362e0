package io.sluice.client;

import java.time.Duration;
import java.util.Objects;

/**
 * What a routed read does when no follower satisfies it yet: wait up to {@code maxWait} for one,
 * then read from the primary ({@code fallbackToPrimary}) or fail with
 * {@link ReadUnavailableException}.
 */
public record ReadPolicy(Duration maxWait, boolean fallbackToPrimary) {

    public ReadPolicy {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait cannot be negative: " + maxWait);
        }
    }

    /** Wait up to 100 ms, then read from the primary: never stale, rarely slow. */
    public static ReadPolicy defaults() {
        return new ReadPolicy(Duration.ofMillis(100), true);
    }

    /** Never wait: a satisfying follower now, else the primary. */
    public static ReadPolicy primaryIfBehind() {
        return new ReadPolicy(Duration.ZERO, true);
    }

    /** Wait up to {@code maxWait}; fail rather than load the primary. */
    public static ReadPolicy waitOrFail(Duration maxWait) {
        return new ReadPolicy(maxWait, false);
    }
}
