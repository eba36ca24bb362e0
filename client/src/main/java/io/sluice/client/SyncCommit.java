package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The wait of a synchronous commit: which followers it waits on (the sync followers; with
 * semi-sync, a healthy async follower standing in for each one down or out of rotation, as
 * PostgreSQL's {@code FIRST k (…)} does with a standby list), how many of them a durability level
 * needs, and what happens when they are not there in time.
 */
final class SyncCommit {

    private final Map<String, FollowerWatch> followers;
    private final List<String> syncNames;
    private final boolean semiSync;
    private final SluiceClient.OnTimeout onTimeout;
    private final Predicate<String> inRotation;
    private final Signal signal;
    private final ClientEvents events;
    private volatile List<String> promoted = List.of();

    SyncCommit(Map<String, FollowerWatch> followers, List<String> syncNames, boolean semiSync, SluiceClient.OnTimeout onTimeout,
               Predicate<String> inRotation, Signal signal, ClientEvents events) {
        this.followers = followers;
        this.syncNames = List.copyOf(syncNames);
        this.semiSync = semiSync;
        this.onTimeout = onTimeout;
        this.inRotation = inRotation;
        this.signal = signal;
        this.events = events;
    }

    /** How many sync followers {@code d} needs; a level the configuration cannot meet fails here, before any commit. */
    int needed(Durability d) {
        int syncCount = syncNames.size();
        return switch (d.kind()) {
            case ASYNC -> 0;
            case ALL -> {
                if (syncCount == 0) {
                    throw new IllegalArgumentException("ALL needs sync followers; none is configured (followers: "
                            + followers.keySet() + ")");
                }
                yield syncCount;
            }
            case QUORUM -> {
                if (d.count() > syncCount) {
                    throw new IllegalArgumentException(d + " needs " + d.count() + " sync followers; configured sync: "
                            + syncNames);
                }
                yield d.count();
            }
        };
    }

    /**
     * Waits until {@code needed} followers of the sync set have applied the committed {@code t}.
     *
     * @throws SyncTimeoutException after {@code timeout}, naming the followers that had not applied
     *         it and their lag, unless the client degrades to async
     */
    void await(ConsistencyToken t, Durability durability, int needed, Duration timeout) throws SQLException {
        long start = System.nanoTime();
        boolean ok;
        try {
            ok = signal.await(() -> satisfiedCount(t, syncSet()) >= needed, start + timeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted waiting for " + durability + " of " + t, "57014", e);
        }
        if (ok) {
            events.count("sync_ok");
            return;
        }
        List<String> set = syncSet();
        List<String> missing = new ArrayList<>();
        StringBuilder why = new StringBuilder();
        for (String name : set) {
            FollowerWatch w = followers.get(name);
            if (!w.satisfies(t)) {
                missing.add(name);
                why.append(why.length() == 0 ? "" : "; ").append(ReadRouting.describe(w, t));
            }
        }
        String message = "commit of xid " + t.xid() + " (token " + t + ") not visible on " + durability + " of sync followers "
                + set + " within " + timeout.toMillis() + " ms (" + (set.size() - missing.size()) + " applied, " + needed
                + " needed): " + why + ". The transaction is committed on the primary.";
        if (onTimeout == SluiceClient.OnTimeout.DEGRADE) {
            events.count("sync_degraded");
            events.event("sync_degraded", String.join(",", missing), "degraded to async: " + message);
            return;
        }
        events.count("sync_timeout");
        throw new SyncTimeoutException(message, t, missing);
    }

    /** The followers a synchronous commit waits on now; a change of stand-ins is counted and told. */
    List<String> syncSet() {
        if (!semiSync) {
            return syncNames;
        }
        List<String> set = new ArrayList<>();
        List<String> standIns = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        for (String name : syncNames) {
            if (healthy(name)) {
                set.add(name);
                used.add(name);
            }
        }
        for (String name : syncNames) {
            if (!healthy(name)) {
                followers.keySet().stream().filter(n -> !syncNames.contains(n) && !used.contains(n) && healthy(n))
                        .findFirst().ifPresentOrElse(n -> {
                            set.add(n);
                            used.add(n);
                            standIns.add(n + " for " + name);
                        }, () -> set.add(name));
            }
        }
        if (!standIns.equals(promoted)) {
            List<String> before = promoted;
            promoted = List.copyOf(standIns);
            if (!standIns.isEmpty()) {
                events.count("promotions");
                events.event("promoted", String.join(",", standIns), "semi-sync: promoted " + standIns + " (was " + before + ")");
            } else {
                events.event("promotion_ended", "", "semi-sync: every sync follower is back; promotions " + before + " ended");
            }
        }
        return set;
    }

    private boolean healthy(String name) {
        return followers.get(name).up() && inRotation.test(name);
    }

    private int satisfiedCount(ConsistencyToken t, List<String> names) {
        int n = 0;
        for (String name : names) {
            if (followers.get(name).satisfies(t)) {
                n++;
            }
        }
        return n;
    }
}
