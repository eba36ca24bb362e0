package io.sluice.capture.internal;

import io.sluice.format.SessionSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;

/**
 * A connection to the primary opened on first use, and opened again after it was closed or
 * reset (a failed statement resets it). For the catalog readers and the heartbeat, which each
 * keep one. It runs with {@link SessionSettings}: the expressions the catalog
 * readers print (generated columns, checks) hold constants, printed as values. Not thread-safe.
 */
public final class PrimarySession implements AutoCloseable {

    private final Supplier<Connection> connections;
    private Connection connection;

    public PrimarySession(Supplier<Connection> connections) {
        this.connections = connections;
    }

    public Connection get() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = withSessionSettings(connections.get());
        }
        return connection;
    }

    /**
     * Gives {@code c} the stream's {@link SessionSettings}, committed; returns it. Every session of capture's
     * whose text reaches the stream — a catalog reader's, a snapshot's — is made so.
     */
    public static Connection withSessionSettings(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SessionSettings.sql());
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
        return c;
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
