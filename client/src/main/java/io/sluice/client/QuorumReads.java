package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads from R of the N followers (the leaderless pattern's read quorum, docs/consistency.md,
 * "Quorum reads"): the same read on R followers, the answer of the one whose snapshot is furthest
 * along (by the watermark read in the read's own snapshot). With a token, it first waits until R
 * followers have applied the token's transaction. Against writes committed with
 * {@code Durability.quorum(W)} on the same N sync followers, R + W > N means every quorum read
 * includes a follower that has the write.
 */
final class QuorumReads {

    /** One read on one follower: its result and the position its snapshot shows. */
    interface Read<T> {
        SluiceClient.Routed<T> on(String follower) throws SQLException;
    }

    private final Map<String, FollowerWatch> followers;
    private final Predicate<String> inRotation;
    private final Signal signal;
    private final ClientEvents events;

    QuorumReads(Map<String, FollowerWatch> followers, Predicate<String> inRotation, Signal signal, ClientEvents events) {
        this.followers = followers;
        this.inRotation = inRotation;
        this.signal = signal;
        this.events = events;
    }

    <T> SluiceClient.Routed<T> read(int r, ConsistencyToken token, Duration maxWait, Read<T> read) throws SQLException {
        if (r < 1 || r > followers.size()) {
            throw new IllegalArgumentException("a read quorum of " + r + " needs 1 to " + followers.size() + " followers");
        }
        if (token != null && !awaitApplied(r, token, maxWait)) {
            events.count("reads_unavailable");
            throw new ReadUnavailableException("fewer than " + r + " followers of " + followers.size() + " applied " + token
                    + " within " + maxWait.toMillis() + " ms: " + progress(token));
        }
        SluiceClient.Routed<T> freshest = null;
        int answered = 0;
        List<String> failed = new ArrayList<>();
        for (String name : candidates(token)) {
            try {
                SluiceClient.Routed<T> answer = read.on(name);
                answered++;
                if (freshest == null || answer.position().isAfter(freshest.position())) {
                    freshest = answer;
                }
            } catch (SQLException e) {
                failed.add(name + ": " + e.getMessage());
            }
            if (answered == r) {
                events.count("reads_quorum");
                return freshest;
            }
        }
        events.count("reads_unavailable");
        throw new ReadUnavailableException("a read quorum of " + r + " of " + followers.size() + " followers: only " + answered
                + " answered" + (failed.isEmpty() ? "" : "; failed: " + failed) + " (down or out of rotation: "
                + followers.keySet().stream().filter(n -> !usable(n)).toList() + ")");
    }

    /** Followers to ask, in priority order: up and in rotation, and (with a token) having applied it first. */
    private List<String> candidates(ConsistencyToken token) {
        List<String> first = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String name : followers.keySet()) {
            if (usable(name)) {
                (token == null || followers.get(name).satisfies(token) ? first : rest).add(name);
            }
        }
        first.addAll(rest);
        return first;
    }

    private boolean usable(String name) {
        return followers.get(name).up() && inRotation.test(name);
    }

    private boolean awaitApplied(int r, ConsistencyToken token, Duration maxWait) throws SQLException {
        try {
            return signal.await(() -> followers.keySet().stream().filter(n -> usable(n) && followers.get(n).satisfies(token))
                    .count() >= r, System.nanoTime() + maxWait.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted waiting for a read quorum of " + token, "57014", e);
        }
    }

    private String progress(ConsistencyToken token) {
        List<String> each = new ArrayList<>();
        for (Map.Entry<String, FollowerWatch> f : followers.entrySet()) {
            each.add(ReadRouting.describe(f.getValue(), token));
        }
        return String.join("; ", each);
    }
}
