package io.sluice.monitor;

import java.time.Instant;

/**
 * One state transition of an alerting target: the capture, the slot, the stream (Kafka), or a
 * follower (the worse of its transport and apply stages); or a follower's passing into a new epoch
 * (a promotion: WARN, cleared at the next look); or a decision of the automatic promotion
 * ({@code failover}, every one). Sent once per transition.
 *
 * @param target   {@code capture}, {@code slot}, {@code stream}, {@code follower}, {@code epoch} or {@code failover}
 * @param follower the follower's name when {@code target} is {@code follower} or {@code epoch}, else null
 */
public record Alert(String source, String target, String follower, State from, State to, Instant at, String reason,
                    double stalenessSeconds) {

    /** {@code follower:b}, {@code capture}, ... */
    public String name() {
        return follower == null ? target : target + ":" + follower;
    }

    public boolean recovery() {
        return to == State.OK;
    }

    @Override
    public String toString() {
        return "[" + source + "] " + name() + " " + from + " -> " + to + ": " + reason;
    }
}
