package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One capture per slot, enforced on the primary: a session-level advisory lock
 * ({@code pg_try_advisory_lock(}{@value #LOCK_CLASS}{@code , hashtext(slot))}) held on a connection of
 * its own for capture's whole life, whose {@code application_name} says who holds it. A second
 * capture is refused before it touches the slot, the publication or the stream, naming the first
 * (host, pid, since, and its backend); so is a capture whose slot another client is reading
 * (the slot's {@code active_pid}). Either is waited for up to {@link #HOLDER_GRACE} first. The lock goes with its connection: a capture killed with
 * SIGKILL leaves nothing to clean up.
 *
 * <p>Not thread-safe: capture's start and close use it, and its start's checks use its {@link #session}.
 */
public final class CaptureLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CaptureLock.class);
    /** The advisory lock's first key: "slcp" in ASCII, Sluice capture; the second is the slot name's hash. */
    static final int LOCK_CLASS = 0x736c6370;

    private final Supplier<Connection> connect;
    private final String slot;
    private final String source;
    private final Clock clock;
    /**
     * How long a lock or slot still held is waited for before refusing: the primary ends the
     * backends of a capture killed a moment ago (its supervisor restarting it) once it notices.
     */
    static final java.time.Duration HOLDER_GRACE = java.time.Duration.ofSeconds(5);
    private Connection connection;

    public CaptureLock(Supplier<Connection> connect, String source, String slot, Clock clock) {
        this.connect = connect;
        this.clock = clock;
        this.source = source;
        this.slot = slot;
    }

    /**
     * Takes the lock and checks that no other client reads the slot.
     *
     * @throws CaptureException CONFIGURATION naming the capture (or client) already at work
     */
    public void acquire() {
        connection = connect.get();
        try {
            String me = "sluice-capture " + source + " host=" + hostName() + " pid=" + ProcessHandle.current().pid()
                    + " since=" + clock.instant();
            try (PreparedStatement ps = connection.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                ps.setString(1, me.length() > 63 ? me.substring(0, 63) : me);
                ps.execute();
            }
            long deadline = System.nanoTime() + HOLDER_GRACE.toNanos();
            boolean got = tryLock();
            while (!got && System.nanoTime() < deadline) {
                pause();
                got = tryLock();
            }
            if (!got) {
                String holder = lockHolder();
                close();
                throw new CaptureException(Kind.CONFIGURATION, "capture of slot " + slot + " is already running: " + holder
                        + ". This capture does not start (the running one is unaffected); stop the other first");
            }
            String reader = slotReader();
            while (reader != null && System.nanoTime() < deadline) {
                pause();
                reader = slotReader();
            }
            if (reader != null) {
                close();
                throw new CaptureException(Kind.CONFIGURATION, "replication slot " + slot + " is being read by another client: "
                        + reader + ". This capture does not start; stop that client first");
            }
            log.info("capture lock for slot {} taken", slot);
        } catch (SQLException e) {
            close();
            throw new CaptureException(Kind.FATAL, "cannot take the capture lock for slot " + slot + " on the primary: "
                    + e.getMessage() + " [SQLSTATE " + e.getSQLState() + "]", e);
        }
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException(Kind.FATAL, "interrupted while waiting for the capture lock", e);
        }
    }

    private String lockHolder() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT l.pid, a.application_name, a.client_addr::text,"
                + " a.backend_start FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                + " AND l.classid = ?::bigint::oid AND l.objid = (hashtext(?)::bigint & 4294967295)::oid AND l.objsubid = 2 AND l.granted")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? describe(rs) : "a capture that has just stopped (try again)";
            }
        }
    }

    private String slotReader() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT s.active_pid, a.application_name, a.client_addr::text,"
                + " a.backend_start FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid"
                + " WHERE s.slot_name = ? AND s.active_pid IS NOT NULL")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? describe(rs) : null;
            }
        }
    }

    private static String describe(ResultSet rs) throws SQLException {
        String app = rs.getString(2);
        String from = rs.getString(3) == null ? "a local socket" : rs.getString(3);
        return "'" + (app == null || app.isEmpty() ? "(no application_name)" : app) + "' (primary backend pid " + rs.getInt(1)
                + ", connected from " + from + (rs.getTimestamp(4) != null ? " at " + rs.getTimestamp(4).toInstant() : "") + ")";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown";
        }
    }

    /**
     * The connection that holds the lock, once taken: capture's start runs its checks of the
     * primary on it rather than on connections of their own (each new backend costs the primary a
     * fork and a cold catalog cache, and the start a round trip or three). Closed only by {@link #close}.
     */
    public Connection session() {
        if (connection == null) {
            throw new IllegalStateException("the capture lock for slot " + slot + " is not held");
        }
        return connection;
    }

    /** Gives the lock up (closing its connection releases it). Idempotent. */
    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // given up either way
            }
            connection = null;
        }
    }
}
