package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import io.sluice.client.SluiceClient.Routed;
import io.sluice.client.SluiceClient.SqlFunction;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Which follower serves a read, and the read run there: the followers in a session's sticky order
 * (the caller's preferred one first), the first whose watch is up, that is in read rotation, at or
 * past the session's position and past the token's transaction; when none is, a wait up to the
 * policy's bound, then the primary if the policy allows — else an error saying, follower by
 * follower, why not. Each outcome is counted. Thread-safe (reads the watches' volatile state).
 */
final class ReadRouting {

    private final String source;
    /** Null when reads never fall back to the primary. */
    private final DataSource primary;
    private final Map<String, FollowerWatch> followers;
    private final ReadRotation rotation;
    private final Duration maxStaleness;
    private final Signal signal;
    private final ClientEvents events;

    /** {@code rotation}: null when followers never leave read rotation. */
    ReadRouting(String source, DataSource primary, Map<String, FollowerWatch> followers, ReadRotation rotation,
                Duration maxStaleness, Signal signal, ClientEvents events) {
        this.source = source;
        this.primary = primary;
        this.followers = followers;
        this.rotation = rotation;
        this.maxStaleness = maxStaleness;
        this.signal = signal;
        this.events = events;
    }

    /** Runs {@code work} where the read may go; {@code token} null and {@code minPosition} ZERO when unbound. */
    <T> Routed<T> read(Session session, ConsistencyToken token, Lsn minPosition, ReadPolicy policy, String preferred,
                       SqlFunction<T> work) throws SQLException {
        List<String> order = order(session, preferred);
        String chosen = firstReady(order, token, minPosition);
        if (chosen == null && !policy.maxWait().isZero()) {
            String[] found = new String[1];
            try {
                signal.await(() -> (found[0] = firstReady(order, token, minPosition)) != null,
                        System.nanoTime() + policy.maxWait().toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for a follower", "57014", e);
            }
            chosen = found[0];
            if (chosen != null) {
                events.count("reads_waited");
            }
        }
        if (chosen == null) {
            if (!policy.fallbackToPrimary() || primary == null) {
                events.count("reads_unavailable");
                throw new ReadUnavailableException("no follower of " + source + " satisfies the read within "
                        + policy.maxWait().toMillis() + " ms: " + whyNot(order, token, minPosition));
            }
            events.count("reads_primary");
            return ReadTransaction.run(source, "primary", primary, true, session, work);
        }
        events.count("reads_follower_" + chosen);
        return ReadTransaction.run(source, chosen, followers.get(chosen).dataSource, false, session, work);
    }

    /** The followers in the order a read tries them: the session's sticky start, {@code preferred} (or null) first. */
    private List<String> order(Session session, String preferred) {
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
    private String firstReady(List<String> order, ConsistencyToken token, Lsn minPosition) {
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
    private String whyNot(List<String> order, ConsistencyToken token, Lsn minPosition) {
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
