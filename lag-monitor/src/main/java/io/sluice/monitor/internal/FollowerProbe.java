package io.sluice.monitor.internal;

import io.sluice.format.Lsn;
import io.sluice.monitor.MonitorConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** One query per evaluation against a follower: the applier's watermark for the source. */
public final class FollowerProbe implements AutoCloseable {

    /**
     * The follower's watermark row: the last source transaction it committed, and the epoch of the
     * stream it is in (docs/failover.md), with the follower promoted at that epoch's start.
     */
    public record Watermark(Lsn commitLsn, long xid, Instant commitTime, long streamOffset, Instant appliedAt,
                            long transactions, long epoch, String epochFollower) { }

    private static final String QUERY = "SELECT commit_lsn, xid, commit_time, stream_offset, applied_at, transactions,"
            + " epoch, epoch_follower FROM sluice.watermark WHERE source = ?";

    private final MonitorConfig.Endpoint endpoint;
    private final String source;
    private final String name;
    private final Duration timeout;
    private Connection connection;

    public FollowerProbe(MonitorConfig.Endpoint endpoint, String source, String name, Duration timeout) {
        this.endpoint = endpoint;
        this.source = source;
        this.name = name;
        this.timeout = timeout;
    }

    /** The watermark, or empty when the follower has applied nothing yet (no bookkeeping schema or no row). */
    public Optional<Watermark> watermark() throws SQLException {
        try {
            if (connection == null) {
                connection = PrimaryProbe.connect(endpoint, timeout, "sluice-monitor-" + name);
            }
            try (PreparedStatement ps = connection.prepareStatement(QUERY)) {
                ps.setString(1, source);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Watermark(Lsn.parse(rs.getString(1)), rs.getLong(2),
                            rs.getTimestamp(3).toInstant(), rs.getLong(4), rs.getTimestamp(5).toInstant(), rs.getLong(6),
                            rs.getLong(7), rs.getString(8)));
                }
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) {
                return Optional.empty(); // the applier has not created its bookkeeping yet
            }
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        PrimaryProbe.closeQuietly(connection);
        connection = null;
    }
}
