package io.sluice.monitor.internal;

import io.sluice.format.follower.Watermark;
import io.sluice.monitor.MonitorConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Queries per evaluation against a follower: the applier's watermark for the source, and a leader's conflicts. */
public final class FollowerProbe implements AutoCloseable {

    private final MonitorConfig.Endpoint endpoint;
    private final String source;
    private final String name;
    private final Duration timeout;
    private Connection connection;
    /** Conflicts counted so far by kind, and the last log entry counted (the log only grows). */
    private final Map<String, Long> conflicts = new TreeMap<>();
    private long conflictsThrough;

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
            return Watermark.read(connection, source);
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    /**
     * The conflicts a leader's applier logged for the source (docs/multi-leader.md), by kind: what
     * was logged since the last call added to the counts. Empty on a follower without a log.
     */
    public Map<String, Long> conflicts() throws SQLException {
        if (connection == null) {
            return Map.copyOf(conflicts);
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT kind, count(*), max(id) FROM sluice.conflict"
                + " WHERE source = ? AND id > ? GROUP BY kind")) {
            ps.setString(1, source);
            ps.setLong(2, conflictsThrough);
            try (ResultSet rs = ps.executeQuery()) {
                long through = conflictsThrough;
                while (rs.next()) {
                    conflicts.merge(rs.getString(1), rs.getLong(2), Long::sum);
                    through = Math.max(through, rs.getLong(3));
                }
                conflictsThrough = through;
            }
        } catch (SQLException e) {
            if (!Watermark.nothingYet(e)) {
                close();
                throw e;
            }
        }
        return Map.copyOf(conflicts);
    }

    @Override
    public void close() {
        PrimaryProbe.closeQuietly(connection);
        connection = null;
    }
}
