package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import io.sluice.format.SourceId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;

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
 *       on QUORUM(k) or ALL of the sync followers, with semi-sync promotion when configured;</li>
 *   <li>{@link #readQuorum} reads from R followers and answers with the freshest.</li>
 * </ul>
 * Thread-safe. One per source; close it to stop its watch threads.
 */
public final class SluiceClient implements AutoCloseable {

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
    private final Duration maxStaleness;
    private final Signal signal = new Signal();
    private final ClientEvents events;
    private final SyncCommit sync;
    private final QuorumReads quorum;
    /** Null without a staleness source: then no follower ever leaves read rotation. */
    private final ReadRotation readRotation;
    private final ReadRouting routing;

    private SluiceClient(Builder b) {
        this.source = SourceId.require(b.source);
        this.primary = b.primary;
        this.maxStaleness = b.maxStaleness;
        this.events = new ClientEvents(b.listener);
        Map<String, FollowerWatch> watches = new LinkedHashMap<>();
        List<String> syncNames = new ArrayList<>();
        b.followers.forEach((name, f) -> {
            watches.put(name, new FollowerWatch(source, name, f.dataSource, f.sync, signal));
            if (f.sync) {
                syncNames.add(name);
            }
        });
        this.followers = Collections.unmodifiableMap(watches);
        followers.values().forEach(FollowerWatch::start);
        readRotation = b.staleness == null ? null : new ReadRotation(List.copyOf(followers.keySet()), b.staleness, maxStaleness);
        routing = new ReadRouting(source, primary, followers, readRotation, maxStaleness, signal, events);
        this.sync = new SyncCommit(followers, syncNames, b.semiSync, b.onTimeout, name -> !outOfRotation(name), signal, events);
        this.quorum = new QuorumReads(followers, name -> !outOfRotation(name), signal, events);
        if (readRotation != null) {
            readRotation.start(events, signal);
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
        events.count("commits");
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
        int needed = sync.needed(durability); // a level the configuration cannot meet fails before committing
        ConsistencyToken t = commit(c);
        if (durability.kind() != Durability.Kind.ASYNC) {
            sync.await(t, durability, needed, timeout);
        }
        return t;
    }

    // ---------------------------------------------------------------- waits

    /** Waits until {@code follower} has applied the token's transaction; false on timeout. */
    public boolean await(ConsistencyToken token, String follower, Duration timeout) throws InterruptedException {
        FollowerWatch w = watch(follower);
        checkSource(token);
        boolean ok = w.awaitToken(token, System.nanoTime() + timeout.toNanos());
        events.count(ok ? "awaits_satisfied" : "awaits_timeout");
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
        return routing.read(null, token, Lsn.ZERO, policy, null, work).value();
    }

    /** A read for a session: sees the session's writes and never less than it has read before. */
    public <T> T read(Session session, ReadPolicy policy, SqlFunction<T> work) throws SQLException {
        return readRouted(session, policy, work).value();
    }

    /** Where a read went: a follower's name or {@code primary}. */
    public record Routed<T>(String target, T value, Lsn position) { }

    /** As {@link #read(Session, ReadPolicy, SqlFunction)}, also telling where the read went (tests, logs). */
    public <T> Routed<T> readRouted(Session session, ReadPolicy policy, SqlFunction<T> work) throws SQLException {
        return routing.read(session, session.lastWrite().orElse(null), session.position(), policy, null, work);
    }

    /**
     * A session read that tries {@code preferred} first (e.g. the follower in the caller's zone);
     * when it does not satisfy the session, another follower or the primary serves it, as usual.
     */
    public <T> Routed<T> readRouted(Session session, String preferred, ReadPolicy policy, SqlFunction<T> work)
            throws SQLException {
        watch(preferred);
        return routing.read(session, session.lastWrite().orElse(null), session.position(), policy, preferred, work);
    }

    /**
     * A quorum read (docs/consistency.md, "Quorum reads"): {@code work} on {@code r} followers that are
     * up and in rotation, the answer of the one furthest along. With a token, first waits up to
     * {@code maxWait} until {@code r} followers have applied it, and asks those.
     *
     * @param token null to read without waiting for a write
     * @throws ReadUnavailableException when fewer than {@code r} followers answer or applied the token in time
     */
    public <T> Routed<T> readQuorum(int r, ConsistencyToken token, Duration maxWait, SqlFunction<T> work) throws SQLException {
        if (token != null) {
            checkSource(token);
        }
        return quorum.read(r, token, maxWait, name -> ReadTransaction.run(source, name, followers.get(name).dataSource, false, null, work));
    }

    // ---------------------------------------------------------------- rotation

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
     * {@code reads_waited}, {@code reads_primary}, {@code reads_quorum}, {@code reads_unavailable}, {@code promotions},
     * {@code rotation_out}, {@code rotation_in}, {@code rotation_checks}.
     */
    public Map<String, Long> metrics() {
        return events.counts();
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
        if (readRotation != null) {
            readRotation.close();
        }
        followers.values().forEach(FollowerWatch::close);
    }
}
