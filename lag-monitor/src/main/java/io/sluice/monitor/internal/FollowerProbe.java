package io.sluice.monitor.internal;

import io.sluice.format.follower.ConflictCounts;
import io.sluice.format.follower.Watermark;
import io.sluice.monitor.MonitorConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Queries per evaluation against a follower: the applier's watermark for the source, and a leader's conflicts. */
public final class FollowerProbe implements AutoCloseable {

    private final MonitorConfig.Endpoint endpoint;
    private final String source;
    private final String name;
    private final Duration timeout;
    private Connection connection;
    private final ConflictCounts conflicts;

    public FollowerProbe(MonitorConfig.Endpoint endpoint, String source, String name, Duration timeout) {
        this.endpoint = endpoint;
        this.source = source;
        this.name = name;
        this.timeout = timeout;
        this.conflicts = new ConflictCounts(source);
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

    /** A leader's conflicts for the source so far, by kind (docs/multi-leader.md); empty on other followers. */
    public Map<String, Long> conflicts() throws SQLException {
        if (connection == null) {
            return Map.of();
        }
        try {
            return conflicts.update(connection);
        } catch (SQLException e) {
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
