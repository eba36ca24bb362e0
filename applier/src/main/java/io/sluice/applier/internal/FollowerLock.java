package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One applier per source and follower, enforced on the follower: a session-level advisory lock
 * ({@code pg_try_advisory_lock(}{@value #LOCK_CLASS}{@code , lock_id)}, the id from
 * {@code sluice.applier_lock}) held on a connection of its own for the applier's whole life.
 * A second applier is refused at {@link #acquire()} with a message naming the holder: follower
 * name, host, pid and since when, as the holder recorded them, and its backend as the server sees it.
 *
 * <p>The lock lives and dies with its connection, so a holder whose connection was cut (or
 * terminated by hand) has lost it without knowing. {@link #check()} finds that out at most every
 * {@code checkInterval} and takes the lock again, or fails for good if another applier took it
 * meanwhile. Between the loss and the check the watermark's compare-and-set
 * ({@link Bookkeeping#advance}) alone keeps two appliers from committing over each other.
 *
 * <p>Not thread-safe: the applier's stream thread uses it.
 */
public final class FollowerLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FollowerLock.class);
    /** The advisory lock's first key: "slap" in ASCII, Sluice appliers; the second is the source's lock_id. */
    static final int LOCK_CLASS = 0x736c6170;

    private final String url;
    private final Properties props;
    private final String source;
    private final String follower;
    private final Duration checkInterval;
    private Connection connection;
    private int lockId;
    private long lastCheckNanos;

    public FollowerLock(String url, Properties props, String source, String follower, Duration checkInterval) {
        this.url = url;
        this.props = props;
        this.source = source;
        this.follower = follower;
        this.checkInterval = checkInterval;
    }

    /**
     * Takes the lock (the bookkeeping schema must be migrated).
     *
     * @throws ApplierException not retriable, when another applier holds it, naming that applier
     * @throws SQLException     when the follower cannot be asked (the caller classifies it by SQLSTATE)
     */
    public void acquire() throws SQLException {
        try {
            Properties p = new Properties();
            p.putAll(props);
            p.setProperty("ApplicationName", "sluice-applier-lock " + source + "/" + follower);
            connection = DriverManager.getConnection(url, p);
            connection.setAutoCommit(true);
            lockId = lockId();
            if (!tryLock()) {
                String holder = holder();
                closeConnection();
                throw new ApplierException("follower " + follower + " already has an applier for source " + source + ": "
                        + holder + ". Two appliers would apply every transaction twice; this one does not start."
                        + " Stop the other first (or, if it is gone, its lock goes with its connection).", false, null);
            }
            try (PreparedStatement ps = connection.prepareStatement("UPDATE sluice.applier_lock SET follower = ?, host = ?,"
                    + " pid = ?, since = clock_timestamp() WHERE source = ?")) {
                ps.setString(1, follower);
                ps.setString(2, hostName());
                ps.setLong(3, ProcessHandle.current().pid());
                ps.setString(4, source);
                ps.executeUpdate();
            }
            lastCheckNanos = System.nanoTime();
            log.info("follower {}: applier lock for source {} taken (advisory lock {}/{})", follower, source, LOCK_CLASS, lockId);
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    /**
     * At most every check interval: confirms the lock is still held on a live connection; if it is
     * not, takes it again.
     *
     * @throws ApplierException not retriable, when another applier took the lock
     * @throws SQLException     when the follower cannot be reached to take it again
     */
    public void check() throws SQLException {
        long now = System.nanoTime();
        if (connection != null && now - lastCheckNanos < checkInterval.toNanos()) {
            return;
        }
        lastCheckNanos = now;
        String lost;
        try {
            if (connection != null && holds()) {
                return;
            }
            lost = connection == null ? "it was given up" : "the lock is no longer held";
        } catch (SQLException e) {
            lost = "its connection failed (" + e.getMessage() + ")";
        }
        log.warn("follower {}: the applier lock for source {} was lost: {}; taking it again", follower, source, lost);
        closeConnection();
        try {
            acquire();
        } catch (ApplierException e) {
            throw new ApplierException("follower " + follower + ": this applier lost its lock for source " + source
                    + " (" + lost + ") and another applier took it; this one stops. " + e.getMessage(), false, e);
        }
    }

    private int lockId() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO sluice.applier_lock (source) VALUES (?) ON CONFLICT (source) DO NOTHING")) {
            ps.setString(1, source);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT lock_id FROM sluice.applier_lock WHERE source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setInt(2, lockId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private boolean holds() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                + " AND pid = pg_backend_pid() AND classid = ?::bigint::oid AND objid = ?::bigint::oid AND objsubid = 2 AND granted")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setInt(2, lockId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The holder as it recorded itself, and its backend as the server sees it. */
    private String holder() throws SQLException {
        String recorded = "an applier that did not record itself";
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT follower, host, pid, since FROM sluice.applier_lock WHERE source = ? AND pid IS NOT NULL")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    recorded = "the applier of follower '" + rs.getString(1) + "' on host " + rs.getString(2) + ", pid "
                            + rs.getLong(3) + ", since " + rs.getTimestamp(4).toInstant();
                }
            }
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT l.pid, a.client_addr::text, a.backend_start"
                + " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                + " AND l.classid = ?::bigint::oid AND l.objid = ?::bigint::oid AND l.objsubid = 2 AND l.granted")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setInt(2, lockId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String from = rs.getString(2) == null ? "a local socket" : rs.getString(2);
                    recorded += " (its lock is held by follower backend pid " + rs.getInt(1) + ", connected from " + from
                            + (rs.getTimestamp(3) != null ? " at " + rs.getTimestamp(3).toInstant() : "") + ")";
                }
            }
        }
        return recorded;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown";
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the connection is being given up, broken or not
            }
            connection = null;
        }
    }

    /** Gives the lock up (closing its connection releases it). Idempotent. */
    @Override
    public void close() {
        closeConnection();
    }
}
