package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.follower.AppliedGroups;
import io.sluice.format.follower.AppliedNotice;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One follower, watched by push: a dedicated connection LISTENs on the applier's channel
 * ({@link AppliedNotice}), whose payload names the last commit LSN and every xid each follower
 * transaction applied. Waiters are woken the moment the applier commits — no polling interval
 * and no heartbeat in the path. The watermark row and {@code sluice.applied_group} are the truth,
 * read at (re)connect and whenever a payload was too long to list its xids.
 */
final class FollowerWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FollowerWatch.class);
    private static final int RECENT = 200_000;

    final String name;
    final boolean sync;
    final DataSource dataSource;
    private final String source;
    private final Object lock = new Object();
    /** Recently applied xids (low 32 bits) → the commit LSN of the group that applied them. */
    private final Map<Long, Lsn> recent = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Lsn> eldest) {
            if (size() > RECENT) {
                exactFrom = Lsn.later(exactFrom, eldest.getValue()); // forgotten: below here, ask the tables
                return true;
            }
            return false;
        }
    };
    /**
     * Every group committed after this LSN was seen with its complete xid list: a token whose
     * position is at or past it and whose xid is not in {@link #recent} is certainly not applied,
     * without a query. Starts at the watermark read right after LISTEN; raised by a payload too
     * long to list its xids and by eviction from {@link #recent}.
     */
    private Lsn exactFrom = new Lsn(-1L);
    private volatile Lsn applied = Lsn.ZERO;
    private volatile Instant appliedCommitTime;
    private volatile boolean up;
    private volatile String downReason = "not connected yet";
    private volatile boolean running = true;
    private final Signal signal;
    /** Token waits on this follower by xid (low 32 bits): the push completes exactly the ones it satisfies. Guarded by lock. */
    private final Map<Long, java.util.List<Waiter>> waiters = new java.util.HashMap<>();
    private Connection listen;
    private Connection query;
    private final Thread thread;

    FollowerWatch(String source, String name, DataSource dataSource, boolean sync, Signal signal) {
        this.signal = signal;
        this.source = source;
        this.name = name;
        this.dataSource = dataSource;
        this.sync = sync;
        this.thread = new Thread(this::run, "sluice-client-watch-" + name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean up() {
        return up;
    }

    String downReason() {
        return downReason;
    }

    /** The follower's watermark: the commit LSN of the last source transaction it applied. */
    Lsn applied() {
        return applied;
    }

    Instant appliedCommitTime() {
        return appliedCommitTime;
    }

    private void run() {
        long backoff = 100;
        while (running) {
            try {
                connect();
                backoff = 100;
                while (running) {
                    PGNotification[] ns = listen.unwrap(PGConnection.class).getNotifications(250);
                    boolean needCheck = false;
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            needCheck |= onPayload(n.getParameter());
                        }
                    }
                    if (needCheck) {
                        refresh();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                markDown(e.getMessage());
                closeConnections();
                sleep(backoff);
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    private void connect() throws SQLException {
        listen = dataSource.getConnection();
        listen.setAutoCommit(true);
        try (Statement st = listen.createStatement()) {
            st.execute("LISTEN " + AppliedNotice.CHANNEL);
        }
        query = dataSource.getConnection();
        query.setAutoCommit(true);
        refresh();
        synchronized (lock) {
            exactFrom = applied; // LISTEN is up: every later group arrives with its payload
        }
        up = true;
        downReason = null;
        signal.bump();
        log.debug("watching follower {} from {}", name, applied);
    }

    /** Reads the watermark (the truth) and wakes waiters to re-check. */
    private void refresh() throws SQLException {
        Watermark.read(query, source).ifPresent(w -> advance(w.commitLsn(), w.commitTime()));
        signal.bump();
    }

    private static final class Waiter {
        final ConsistencyToken token;
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);

        Waiter(ConsistencyToken token) {
            this.token = token;
        }
    }

    /**
     * Waits until this follower has applied the token's transaction: the applier's NOTIFY wakes
     * exactly this waiter (no other waiter is disturbed); a re-check every 100 ms covers payloads
     * too long to list their xids and reconnects.
     */
    boolean awaitToken(ConsistencyToken t, long deadlineNanos) throws InterruptedException {
        long xid = t.xid() & 0xFFFF_FFFFL;
        Waiter w = new Waiter(t);
        synchronized (lock) {
            waiters.computeIfAbsent(xid, k -> new java.util.ArrayList<>()).add(w);
        }
        try {
            if (satisfies(t)) {
                return true;
            }
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return satisfies(t);
                }
                if (w.done.await(Math.min(left, 100_000_000L), java.util.concurrent.TimeUnit.NANOSECONDS) || satisfies(t)) {
                    return true;
                }
            }
        } finally {
            synchronized (lock) {
                java.util.List<Waiter> list = waiters.get(xid);
                if (list != null) {
                    list.remove(w);
                    if (list.isEmpty()) {
                        waiters.remove(xid);
                    }
                }
            }
        }
    }

    /** Completes the waiters of an applied xid whose token position the group's commit is past. Holds lock. */
    private void wake(long xid, Lsn groupLsn) {
        java.util.List<Waiter> list = waiters.get(xid);
        if (list != null) {
            for (Waiter w : list) {
                if (groupLsn.isAfter(w.token.lsnBound())) {
                    w.done.countDown();
                }
            }
        }
    }

    /** Returns true when the payload could not list its xids and the tables must be read. */
    private boolean onPayload(String payload) {
        AppliedNotice notice;
        try {
            notice = AppliedNotice.parse(payload);
        } catch (FormatException e) {
            log.warn("follower {}: ignoring a notification on {} that is not an applied notice: {}", name, AppliedNotice.CHANNEL,
                    e.getMessage());
            return false;
        }
        if (!notice.source().equals(source)) {
            return false;
        }
        Lsn lsn = notice.lastCommitLsn();
        synchronized (lock) {
            if (lsn.isAfter(applied)) {
                applied = lsn;
            }
            if (notice.xids() != null) {
                for (long x : notice.xids()) {
                    long xid = x & 0xFFFF_FFFFL;
                    recent.put(xid, lsn);
                    if (!waiters.isEmpty()) {
                        wake(xid, lsn);
                    }
                }
            } else {
                recent.put(notice.lastXid() & 0xFFFF_FFFFL, lsn);
                exactFrom = Lsn.later(exactFrom, lsn); // the other xids were not listed: ask the tables below here
            }
        }
        signal.bump();
        return notice.xids() == null;
    }

    private void advance(Lsn lsn, Instant commitTime) {
        synchronized (lock) {
            if (lsn.isAfter(applied) || applied.equals(Lsn.ZERO)) {
                applied = lsn;
                appliedCommitTime = commitTime;
            }
        }
    }

    /**
     * Whether the follower has applied the token's transaction. In memory when the push told us;
     * otherwise one indexed query on {@code sluice.applied_group}.
     */
    boolean satisfies(ConsistencyToken t) {
        if (!applied.isAfter(t.lsnBound())) {
            return false; // the transaction commits after lsnBound; the watermark is not past it
        }
        long xid = t.xid() & 0xFFFF_FFFFL;
        synchronized (lock) {
            Lsn at = recent.get(xid);
            if (at != null && at.isAfter(t.lsnBound())) {
                return true;
            }
            if (!exactFrom.isAfter(t.lsnBound())) {
                return false; // every group after the token's position was seen, none listed its xid
            }
        }
        return satisfiedInTables(t, xid);
    }

    /**
     * One query: a group after the token's position lists its xid; or the token is older than the
     * applied-group retention (groups are kept, none at or before its position) while the watermark
     * is past it — applied long ago.
     */
    private boolean satisfiedInTables(ConsistencyToken t, long xid) {
        try (Connection c = dataSource.getConnection()) {
            if (AppliedGroups.includes(c, source, t)) {
                synchronized (lock) {
                    recent.put(xid, applied);
                }
                return true;
            }
            return false;
        } catch (SQLException e) {
            return false;
        }
    }

    private void markDown(String reason) {
        if (up) {
            log.warn("follower {} is down: {}", name, reason);
        }
        up = false;
        downReason = reason;
        synchronized (lock) {
            exactFrom = new Lsn(-1L); // notifications are being missed: the tables are the truth again
        }
        signal.bump();
    }

    private void closeConnections() {
        for (Connection c : new Connection[] {listen, query}) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // already broken
                }
            }
        }
        listen = null;
        query = null;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnections();
    }
}
