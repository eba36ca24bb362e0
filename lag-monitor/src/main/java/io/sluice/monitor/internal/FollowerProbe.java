package io.sluice.monitor.internal;

import io.sluice.format.follower.Watermark;
import io.sluice.monitor.MonitorConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/** One query per evaluation against a follower: the applier's watermark for the source. */
public final class FollowerProbe implements AutoCloseable {

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
            return Watermark.read(connection, source);
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
