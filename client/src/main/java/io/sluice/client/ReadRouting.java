package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Which follower serves a read: the followers in a session's sticky order (the caller's preferred
 * one first), the first whose watch is up, that is in read rotation, at or past the session's
 * position and past the token's transaction — and, when none is, why, follower by follower, for
 * the error. Thread-safe (reads the watches' volatile state).
 */
final class ReadRouting {

    private final Map<String, FollowerWatch> followers;
    private final ReadRotation rotation;
    private final Duration maxStaleness;

    /** {@code rotation}: null when followers never leave read rotation. */
    ReadRouting(Map<String, FollowerWatch> followers, ReadRotation rotation, Duration maxStaleness) {
        this.followers = followers;
        this.rotation = rotation;
        this.maxStaleness = maxStaleness;
    }

    /** The followers in the order a read tries them: the session's sticky start, {@code preferred} (or null) first. */
    List<String> order(Session session, String preferred) {
        List<String> names = new ArrayList<>(followers.keySet());
        if (session != null && !names.isEmpty()) {
            int sticky = Math.floorMod(session.id().hashCode(), names.size());
            Collections.rotate(names, -sticky);
        }
        if (preferred != null) {
            names.remove(preferred);
            names.add(0, preferred);
        }
        return names;
    }

    /** The first follower of {@code order} that can serve the read now, or null. */
    String firstReady(List<String> order, ConsistencyToken token, Lsn minPosition) {
        for (String name : order) {
            if (ready(name, token, minPosition)) {
                return name;
            }
        }
        return null;
    }

    private boolean ready(String name, ConsistencyToken token, Lsn minPosition) {
        FollowerWatch w = followers.get(name);
        return w.up() && !(rotation != null && rotation.isOut(name)) && !minPosition.isAfter(w.applied())
                && (token == null || w.satisfies(token));
    }

    /** Why no follower of {@code order} can serve the read, one part per follower. */
    String whyNot(List<String> order, ConsistencyToken token, Lsn minPosition) {
        List<String> parts = new ArrayList<>();
        for (String name : order) {
            FollowerWatch w = followers.get(name);
            if (rotation != null && rotation.isOut(name)) {
                parts.add(name + " out of rotation (staleness above " + maxStaleness.toSeconds() + " s)");
            } else if (minPosition.isAfter(w.applied())) {
                parts.add(name + " at " + w.applied() + ", behind the session's " + minPosition);
            } else {
                parts.add(describe(w, token));
            }
        }
        return parts.isEmpty() ? "no followers configured" : String.join("; ", parts);
    }

    /** A follower's state against a token, for an error. */
    static String describe(FollowerWatch w, ConsistencyToken t) {
        if (!w.up()) {
            return w.name + " down (" + w.downReason() + ")";
        }
        long behind = t == null ? 0 : t.lsnBound().minus(w.applied());
        return w.name + " at watermark " + w.applied() + (behind > 0 ? ", " + behind + " bytes of WAL behind the token"
                : ", its transaction not applied yet") + (w.appliedCommitTime() == null ? ""
                : ", last commit applied " + w.appliedCommitTime());
    }
}
