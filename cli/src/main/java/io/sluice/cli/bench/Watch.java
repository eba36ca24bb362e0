package io.sluice.cli.bench;

import io.sluice.embedded.LocalPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One query polled on one open connection while a phase is timed: a connection per poll would
 * fork a backend every 10 ms on the server being measured.
 */
final class Watch implements AutoCloseable {

    private final Connection connection;
    private final PreparedStatement query;

    Watch(LocalPostgres server, String sql) throws SQLException {
        connection = server.connect();
        connection.setAutoCommit(true);
        query = connection.prepareStatement(sql);
    }

    /** The first column of the first row; null when there is no row or its table does not exist yet (SQLSTATE 42P01). */
    String value() throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
