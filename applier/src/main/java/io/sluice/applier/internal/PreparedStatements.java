package io.sluice.applier.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The statements prepared on one follower connection, by their text: each text is prepared once
 * and reused (pgjdbc then switches it to a server-side prepared statement). Not thread-safe.
 */
final class PreparedStatements {

    private final Connection connection;
    private final Map<String, PreparedStatement> bySql = new HashMap<>();

    PreparedStatements(Connection connection) {
        this.connection = connection;
    }

    PreparedStatement get(String sql) throws SQLException {
        PreparedStatement ps = bySql.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            bySql.put(sql, ps);
        }
        return ps;
    }

    /** Closes every statement (after the connection changed or rolled back). */
    void closeAll() {
        bySql.values().forEach(ps -> {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // the connection may be gone already
            }
        });
        bySql.clear();
    }
}
