package io.sluice.capture.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Supplier;

/**
 * A connection to the primary opened on first use, and opened again after it was closed or
 * reset (a failed statement resets it). For the catalog readers and the heartbeat, which each
 * keep one. Not thread-safe.
 */
public final class PrimarySession implements AutoCloseable {

    private final Supplier<Connection> connections;
    private Connection connection;

    public PrimarySession(Supplier<Connection> connections) {
        this.connections = connections;
    }

    public Connection get() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connections.get();
        }
        return connection;
    }

    /** Closes the connection, quietly: it may be broken; the next {@link #get} opens a new one. */
    public void reset() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // a broken connection
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        reset();
    }
}
