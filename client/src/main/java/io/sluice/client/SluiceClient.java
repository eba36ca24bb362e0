package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import io.sluice.format.follower.Watermark;
import io.sluice.format.SourceId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an application uses to read its own writes from followers, keep reads monotonic, and
 * commit synchronously:
 * <ul>
 *   <li>{@link #commit(Connection)} commits and returns a {@link ConsistencyToken} naming the
 *       transaction (its xid, and the LSN of a transactional message it wrote, which also makes
 *       sure the transaction is on the stream);</li>
 *   <li>{@link #await} waits until a follower has applied a token — woken by the applier's
 *       NOTIFY in the same moment it commits;</li>
 *   <li>{@link #read(Session, ReadPolicy, SqlFunction)} routes a read to a follower that
 *       satisfies the session (sticky first), waits up to the policy's bound, else reads the
 *       primary — each outcome counted in {@link #metrics()};</li>
 *   <li>{@link #commit(Connection, Durability, Duration)} returns only once the write is visible
 *       on QUORUM(k) or ALL of the sync followers, with semi-sync promotion when configured.</li>
 * </ul>
 * Thread-safe. One per source; close it to stop its watch threads.
 */
public final class SluiceClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceClient.class);

    /** Work done on a connection. */
    @FunctionalInterface
    public interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }

    /** Something the client did that an operator should know: promotions, rotation, degraded commits. */
    public record Event(String kind, String follower, String message) { }

    /** What happens when a synchronous commit times out. */
    public enum OnTimeout {
        /** Throw {@link SyncTimeoutException} naming the followers (the transaction stays committed). */
        FAIL,
        /** Return as if ASYNC, raising a {@code sync_degraded} event (an alert). */
        DEGRADE
    }

    private final String source;
    private final DataSource primary;
    private final Map<String, FollowerWatch> followers;
    private final List<String> syncNames;
    private final boolean semiSync;
    private final OnTimeout onTimeout;
    private final Duration maxStaleness;
    private final Consumer<Event> listener;
    private final Signal signal = new Signal();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    /** Null without a staleness source: then no follower ever leaves read rotation. */
    private final ReadRotation readRotation;
    private final ReadRouting routing;
    private volatile List<String> promoted = List.of();
    private final Thread rotation;
    private volatile boolean running = true;

    private SluiceClient(Builder b) {
        this.source = SourceId.require(b.source);
        this.primary = b.primary;
        this.semiSync = b.semiSync;
        this.onTimeout = b.onTimeout;
        this.maxStaleness = b.maxStaleness;
        this.listener = b.listener;
        Map<String, FollowerWatch> watches = new LinkedHashMap<>();
        List<String> sync = new ArrayList<>();
        b.followers.forEach((name, f) -> {
            watches.put(name, new FollowerWatch(source, name, f.dataSource, f.sync, signal));
            if (f.sync) {
                sync.add(name);
            }
        });
        this.followers = Collections.unmodifiableMap(watches);
        this.syncNames = List.copyOf(sync);
        followers.values().forEach(FollowerWatch::start);
        readRotation = b.staleness == null ? null : new ReadRotation(List.copyOf(followers.keySet()), b.staleness, maxStaleness);
        routing = new ReadRouting(followers, readRotation, maxStaleness);
        if (readRotation != null) {
            rotation = new Thread(this::rotate, "sluice-client-rotation");
            rotation.setDaemon(true);
            rotation.start();
        } else {
            rotation = null;
        }
    }

    public static Builder builder(String source) {
        return new Builder(source);
    }

    /** Configuration of a client. */
    public static final class Builder {
        private record Follower(DataSource dataSource, boolean sync) { }

        private final String source;
        private DataSource primary;
        private final Map<String, Follower> followers = new LinkedHashMap<>();
        private boolean semiSync;
        private OnTimeout onTimeout = OnTimeout.FAIL;
        private StalenessSource staleness;
        private Duration maxStaleness = Duration.ofSeconds(60);
        private Consumer<Event> listener = e -> { };

        private Builder(String source) {
            this.source = source;
        }

        public Builder primary(DataSource ds) {
            this.primary = ds;
            return this;
        }

        /** A follower; the order of calls is the priority order (sticky hashing, semi-sync promotion). */
        public Builder follower(String name, DataSource ds, boolean sync) {
            if (followers.putIfAbsent(name, new Follower(ds, sync)) != null) {
                throw new IllegalArgumentException("follower " + name + " given twice");
            }
            return this;
        }

        /** When a sync follower is down or out of rotation, the first healthy async follower stands in. */
        public Builder semiSync(boolean on) {
            this.semiSync = on;
            return this;
        }

        public Builder onSyncTimeout(OnTimeout policy) {
            this.onTimeout = Objects.requireNonNull(policy);
            return this;
        }

        /** Takes a follower out of read rotation past {@code max} staleness, back once under min(1 s, max / 2). */
        public Builder rotation(StalenessSource source, Duration max) {
            this.staleness = Objects.requireNonNull(source);
            this.maxStaleness = Objects.requireNonNull(max);
            return this;
        }

        public Builder listener(Consumer<Event> l) {
            this.listener = Objects.requireNonNull(l);
            return this;
        }

        public SluiceClient build() {
            return new SluiceClient(this);
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Commits the connection's transaction and returns its token. Call with autocommit off, after
     * the transaction's writes. Writes a transactional logical message ({@code sluice.token}), so
     * the token's transaction is on the stream even if it wrote no captured table.
     */
    public ConsistencyToken commit(Connection c) throws SQLException {
        if (c.getAutoCommit()) {
            throw new SQLException("commit(connection) needs autocommit off: the token is taken inside the transaction", "25000");
        }
        long xid;
        Lsn lsn;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text, pg_logical_emit_message(true, 'sluice.token', '')::text")) {
            rs.next();
            xid = Long.parseLong(rs.getString(1));
            lsn = Lsn.parse(rs.getString(2));
        }
        c.commit();
        count("commits");
        return new ConsistencyToken(source, xid, lsn);
    }

    /** {@link #commit(Connection)} for a session: its reads will see this write. */
    public ConsistencyToken commit(Connection c, Session session) throws SQLException {
        ConsistencyToken t = commit(c);
        session.wrote(t);
        return t;
    }

    /**
     * Commits, then waits until the write is visible on the followers {@code durability} asks for.
     *
     * @throws SyncTimeoutException after {@code timeout}, naming the followers that had not applied
     *         it and their lag, unless the client degrades to async ({@link OnTimeout#DEGRADE})
     */
    public ConsistencyToken commit(Connection c, Durability durability, Duration timeout) throws SQLException {
        int needed = needed(durability); // a level the configuration cannot meet fails before committing
        ConsistencyToken t = commit(c);
        if (durability.kind() == Durability.Kind.ASYNC) {
            return t;
        }
        long start = System.nanoTime();
        boolean ok;
        try {
            ok = signal.await(() -> satisfiedCount(t, syncSet()) >= needed, start + timeout.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted waiting for " + durability + " of " + t, "57014", e);
        }
        if (ok) {
            count("sync_ok");
            return t;
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
        if (onTimeout == OnTimeout.DEGRADE) {
            count("sync_degraded");
            event("sync_degraded", String.join(",", missing), "degraded to async: " + message);
            return t;
        }
        count("sync_timeout");
        throw new SyncTimeoutException(message, t, missing);
    }

    private int needed(Durability d) {
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
     * The followers a synchronous commit waits on: the sync followers; with semi-sync, each one
     * that is down or out of rotation replaced by the first healthy async follower (PostgreSQL's
     * {@code FIRST k (…)} with a standby list).
     */
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
                count("promotions");
                event("promoted", String.join(",", standIns), "semi-sync: promoted " + standIns + " (was " + before + ")");
            } else {
                event("promotion_ended", "", "semi-sync: every sync follower is back; promotions " + before + " ended");
            }
        }
        return set;
    }

    private boolean healthy(String name) {
        FollowerWatch w = followers.get(name);
        return w.up() && !outOfRotation(name);
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

    // ---------------------------------------------------------------- waits

    /** Waits until {@code follower} has applied the token's transaction; false on timeout. */
    public boolean await(ConsistencyToken token, String follower, Duration timeout) throws InterruptedException {
        FollowerWatch w = watch(follower);
        checkSource(token);
        boolean ok = w.awaitToken(token, System.nanoTime() + timeout.toNanos());
        count(ok ? "awaits_satisfied" : "awaits_timeout");
        return ok;
    }

    /** Whether {@code follower} has applied the token's transaction now. */
    public boolean satisfies(String follower, ConsistencyToken token) {
        checkSource(token);
        return watch(follower).satisfies(token);
    }

    // ---------------------------------------------------------------- reads

    public Session session() {
        return Session.create();
    }

    /** A read that must see {@code token}'s transaction (read-your-writes without a session). */
    public <T> T read(ConsistencyToken token, ReadPolicy policy, SqlFunction<T> work) throws SQLException {
        checkSource(token);
        return readRouted(null, token, Lsn.ZERO, policy, null, work).value();
    }

    /** A read for a session: sees the session's writes and never less than it has read before. */
    public <T> T read(Session session, ReadPolicy policy, SqlFunction<T> work) throws SQLException {
        return readRouted(session, policy, work).value();
    }

    /** Where a read went: a follower's name or {@code primary}. */
    public record Routed<T>(String target, T value, Lsn position) { }

    /** As {@link #read(Session, ReadPolicy, SqlFunction)}, also telling where the read went (tests, logs). */
    public <T> Routed<T> readRouted(Session session, ReadPolicy policy, SqlFunction<T> work) throws SQLException {
        return readRouted(session, session.lastWrite().orElse(null), session.position(), policy, null, work);
    }

    /**
     * A session read that tries {@code preferred} first (e.g. the follower in the caller's zone);
     * when it does not satisfy the session, another follower or the primary serves it, as usual.
     */
    public <T> Routed<T> readRouted(Session session, String preferred, ReadPolicy policy, SqlFunction<T> work)
            throws SQLException {
        watch(preferred);
        return readRouted(session, session.lastWrite().orElse(null), session.position(), policy, preferred, work);
    }

    private <T> Routed<T> readRouted(Session session, ConsistencyToken token, Lsn minPosition, ReadPolicy policy,
                                     String preferred, SqlFunction<T> work) throws SQLException {
        List<String> order = routing.order(session, preferred);
        String chosen = routing.firstReady(order, token, minPosition);
        if (chosen == null && !policy.maxWait().isZero()) {
            String[] found = new String[1];
            try {
                signal.await(() -> (found[0] = routing.firstReady(order, token, minPosition)) != null,
                        System.nanoTime() + policy.maxWait().toNanos());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for a follower", "57014", e);
            }
            chosen = found[0];
            if (chosen != null) {
                count("reads_waited");
            }
        }
        if (chosen == null) {
            if (!policy.fallbackToPrimary() || primary == null) {
                count("reads_unavailable");
                throw new ReadUnavailableException("no follower of " + source + " satisfies the read within "
                        + policy.maxWait().toMillis() + " ms: " + routing.whyNot(order, token, minPosition));
            }
            count("reads_primary");
            return execute("primary", primary, true, session, work);
        }
        count("reads_follower_" + chosen);
        return execute(chosen, followers.get(chosen).dataSource, false, session, work);
    }

    private <T> Routed<T> execute(String target, DataSource ds, boolean isPrimary, Session session, SqlFunction<T> work)
            throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try {
                Lsn position = position(c, isPrimary);
                T value = work.apply(c);
                c.commit();
                if (session != null) {
                    session.observed(position);
                }
                return new Routed<>(target, value, position);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * The position the read's snapshot shows, read first so the snapshot is taken by it: a
     * follower's watermark (committed with the rows), or the primary's WAL position.
     */
    private Lsn position(Connection c, boolean isPrimary) throws SQLException {
        if (!isPrimary) {
            return Watermark.read(c, source).map(Watermark::commitLsn).orElse(Lsn.ZERO);
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    // ---------------------------------------------------------------- rotation

    private void rotate() {
        while (running) {
            for (ReadRotation.Change c : readRotation.check()) {
                count(c.kind());
                event(c.kind(), c.follower(), c.message());
                signal.bump();
            }
            count("rotation_checks");
            try {
                Thread.sleep(1000); // the rotation check's period
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private boolean outOfRotation(String name) {
        return readRotation != null && readRotation.isOut(name);
    }

    /** Followers currently out of read rotation. */
    public Set<String> outOfRotation() {
        return readRotation == null ? Set.of() : readRotation.outOfRotation();
    }

    // ---------------------------------------------------------------- metrics

    /**
     * Counters: {@code commits}, {@code sync_ok}, {@code sync_timeout}, {@code sync_degraded},
     * {@code awaits_satisfied}, {@code awaits_timeout}, {@code reads_follower_<name>},
     * {@code reads_waited}, {@code reads_primary}, {@code reads_unavailable}, {@code promotions},
     * {@code rotation_out}, {@code rotation_in}, {@code rotation_checks}.
     */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    private void count(String name) {
        counters.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    private void event(String kind, String follower, String message) {
        if (kind.equals("rotation_in") || kind.equals("promotion_ended")) {
            log.info("{}", message);
        } else {
            log.warn("{}", message);
        }
        try {
            listener.accept(new Event(kind, follower, message));
        } catch (RuntimeException e) {
            log.warn("client event listener failed: {}", e.toString());
        }
    }

    private FollowerWatch watch(String name) {
        FollowerWatch w = followers.get(name);
        if (w == null) {
            throw new IllegalArgumentException("no follower '" + name + "'; known: " + followers.keySet());
        }
        return w;
    }

    private void checkSource(ConsistencyToken t) {
        if (!t.source().equals(source)) {
            throw new IllegalArgumentException("token " + t + " is for source '" + t.source() + "', this client serves '"
                    + source + "'");
        }
    }

    public String source() {
        return source;
    }

    /** The followers' names in priority order. */
    public List<String> followerNames() {
        return List.copyOf(followers.keySet());
    }

    @Override
    public void close() {
        running = false;
        if (rotation != null) {
            rotation.interrupt();
        }
        followers.values().forEach(FollowerWatch::close);
    }
}
