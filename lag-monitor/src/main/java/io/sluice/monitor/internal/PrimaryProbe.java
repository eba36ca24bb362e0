package io.sluice.monitor.internal;

import io.sluice.format.CaptureSessions;
import io.sluice.format.Lsn;
import io.sluice.format.PrimaryUrl;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Status;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

/**
 * One query per evaluation against the primary: its WAL position, next transaction id and clock,
 * and the capture slot with its walsender (when capture is connected); then the failover set-up
 * ({@link FailoverProbe}). With several hosts in the URL, the one that is the primary now.
 */
public final class PrimaryProbe implements AutoCloseable {

    /**
     * @param now          the primary's clock
     * @param walLsn       {@code pg_current_wal_lsn()}
     * @param nextXid      the next transaction id to be assigned (write transactions only consume ids)
     * @param slotFound    whether the slot exists
     * @param slotActive   whether capture reads it: its walsender is attached to it, or capture's
     *                     SQL catch-up session is there (it holds the slot only while decoding a chunk)
     * @param restartLsn   the oldest WAL the slot retains
     * @param confirmedLsn what capture confirmed as durable on Kafka
     * @param retainedBytes WAL retained by the slot
     * @param sentLsn      how far the walsender has decoded and sent (null when none is attached)
     * @param walStatus    {@code pg_replication_slots.wal_status}
     * @param failover     the failover set-up (null before PostgreSQL 17)
     */
    public record Sample(Instant now, Lsn walLsn, long nextXid, boolean slotFound, boolean slotActive, Lsn restartLsn,
                         Lsn confirmedLsn, long retainedBytes, Lsn sentLsn, String walStatus, Status.Failover failover) { }

    private static final String QUERY = """
            SELECT now(), pg_current_wal_lsn(), pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                   s.slot_name IS NOT NULL,
                   coalesce(s.active, false) OR EXISTS (SELECT 1 FROM pg_stat_activity a
                       WHERE a.application_name = left(?, 63) AND a.backend_type = 'client backend'), -- names keep 63 bytes
                   s.restart_lsn, s.confirmed_flush_lsn,
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn), 0)::bigint, r.sent_lsn, s.wal_status
            FROM (SELECT 1) one
            LEFT JOIN pg_replication_slots s ON s.slot_name = ?
            LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid""";

    private final MonitorConfig.Endpoint endpoint;
    private final String slot;
    private final String catchUpSession;
    private final Duration timeout;
    private final FailoverProbe failover;
    private Connection connection;

    public PrimaryProbe(MonitorConfig.Endpoint endpoint, String sourceId, String slot, Duration timeout) {
        this.endpoint = new MonitorConfig.Endpoint(endpoint.jdbcUrl(), PrimaryUrl.primaryOnly(endpoint.jdbcUrl(),
                endpoint.properties()));
        this.slot = slot;
        this.catchUpSession = CaptureSessions.catchUp(sourceId);
        this.timeout = timeout;
        this.failover = new FailoverProbe(endpoint, slot, timeout);
    }

    public Sample sample() throws SQLException {
        try {
            if (connection == null) {
                connection = connect(endpoint, timeout, "sluice-monitor");
            }
            try (PreparedStatement ps = connection.prepareStatement(QUERY)) {
                ps.setString(1, catchUpSession);
                ps.setString(2, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Sample(rs.getTimestamp(1).toInstant(), Lsn.parse(rs.getString(2)), rs.getLong(3),
                            rs.getBoolean(4), rs.getBoolean(5), lsn(rs.getString(6)), lsn(rs.getString(7)), rs.getLong(8),
                            lsn(rs.getString(9)), rs.getString(10), failover.sample(connection));
                }
            }
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    static Lsn lsn(String text) {
        return text == null ? null : Lsn.parse(text);
    }

    /** A monitoring connection: autocommit, short timeouts, named in pg_stat_activity. */
    static Connection connect(MonitorConfig.Endpoint endpoint, Duration timeout, String name) throws SQLException {
        Properties p = endpoint.properties();
        long seconds = Math.max(1, timeout.toSeconds());
        p.putIfAbsent("connectTimeout", String.valueOf(seconds));
        p.putIfAbsent("loginTimeout", String.valueOf(seconds));
        p.putIfAbsent("socketTimeout", String.valueOf(Math.max(5, seconds * 3)));
        p.setProperty("ApplicationName", name);
        return DriverManager.getConnection(endpoint.jdbcUrl(), p);
    }

    /** Closes a monitoring connection that may already be broken; null is fine. */
    static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(connection);
        connection = null;
        failover.close();
    }
}
