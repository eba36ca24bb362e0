package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.follower.AppliedGroups;
import io.sluice.format.follower.AppliedNotice;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
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
 * read at (re)connect and whenever a payload was too long to list its xids. What that tells about
 * the follower is {@link AppliedKnowledge}'s; this class keeps the connections and their thread.
 */
final class FollowerWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FollowerWatch.class);

    final String name;
    final boolean sync;
    final DataSource dataSource;
    private final String source;
    private final AppliedKnowledge known = new AppliedKnowledge();
    private volatile boolean up;
    private volatile String downReason = "not connected yet";
    private volatile boolean running = true;
    private final Signal signal;
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
        return known.applied();
    }

    Instant appliedCommitTime() {
        return known.appliedCommitTime();
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
        known.listening();
        up = true;
        downReason = null;
        signal.bump();
        log.debug("watching follower {} from {}", name, known.applied());
    }

    /** Reads the watermark (the truth) and wakes waiters to re-check. */
    private void refresh() throws SQLException {
        Watermark.read(query, source).ifPresent(w -> known.watermark(w.commitLsn(), w.commitTime()));
        signal.bump();
    }

    /** Waits until this follower has applied the token's transaction ({@link AppliedKnowledge#await}). */
    boolean awaitToken(ConsistencyToken t, long deadlineNanos) throws InterruptedException {
        return known.await(t, deadlineNanos, this::satisfies);
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
        known.notice(notice);
        signal.bump();
        return notice.xids() == null;
    }

    /**
     * Whether the follower has applied the token's transaction. In memory when the push told us;
     * otherwise one indexed query on {@code sluice.applied_group}.
     */
    boolean satisfies(ConsistencyToken t) {
        return switch (known.answer(t)) {
            case APPLIED -> true;
            case NOT_APPLIED -> false;
            case ASK_TABLES -> satisfiedInTables(t);
        };
    }

    /**
     * One query: a group after the token's position lists its xid; or the token is older than the
     * applied-group retention (groups are kept, none at or before its position) while the watermark
     * is past it — applied long ago.
     */
    private boolean satisfiedInTables(ConsistencyToken t) {
        try (Connection c = dataSource.getConnection()) {
            if (AppliedGroups.includes(c, source, t)) {
                known.appliedInTables(t);
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
        known.missing();
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
