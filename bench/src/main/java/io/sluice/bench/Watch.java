package io.sluice.bench;

import io.sluice.embedded.LocalPostgres;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One query polled on one open connection while a phase is timed: a connection per poll would
 * fork a backend every 10 ms on the server being measured.
 */
final class Watch implements AutoCloseable {

    /** What a watch reads on its connection. */
    interface Read {
        String value(Connection c) throws SQLException;
    }

    private final Connection connection;
    private final Read read;

    /** The first column of the first row {@code sql} returns; null when there is none or its table does not exist yet. */
    Watch(LocalPostgres server, String sql) throws SQLException {
        connection = open(server);
        PreparedStatement query = connection.prepareStatement(sql);
        read = c -> first(query);
    }

    private Watch(LocalPostgres server, Read read) throws SQLException {
        connection = open(server);
        this.read = read;
    }

    /** The commit LSN of a follower's watermark for {@code source}, as text; null before its first commit. */
    static Watch watermark(LocalPostgres follower, String source) throws SQLException {
        return new Watch(follower, c -> Watermark.read(c, source).map(w -> w.commitLsn().toString()).orElse(null));
    }

    String value() throws SQLException {
        return read.value(connection);
    }

    private static Connection open(LocalPostgres server) throws SQLException {
        Connection c = server.connect();
        c.setAutoCommit(true);
        return c;
    }

    private static String first(PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return null; // SQLSTATE 42P01: the table does not exist yet
            }
            throw e;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
