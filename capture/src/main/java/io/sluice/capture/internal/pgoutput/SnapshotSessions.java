package io.sluice.capture.internal.pgoutput;

import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Sessions in the slot's exported snapshot, shared by both ways of copying it ({@link SnapshotCopy}
 * onto the stream, {@link DirectSnapshotCopy} into followers): read-only transactions that see
 * exactly what the snapshot saw, and what they read of the publication's tables.
 */
final class SnapshotSessions {

    private SnapshotSessions() {
    }

    /** A read-only transaction in {@code snapshotName} on a new session from {@code connections}. */
    static Connection inSnapshot(Supplier<Connection> connections, String snapshotName) throws SQLException {
        Connection c = connections.get();
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            enter(c, snapshotName);
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** Starts {@code c}'s next transaction (it has none open) in {@code snapshotName}. */
    static void enter(Connection c, String snapshotName) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
        }
    }

    /** The frame's xid: the oldest transaction the snapshot still sees running (at least 1). */
    static long xmin(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT txid_snapshot_xmin(txid_current_snapshot()) & 4294967295")) {
            rs.next();
            return Math.max(1, rs.getLong(1));
        }
    }

    /**
     * The publication's tables, each after the tables it inherits from (a follower links a table to parents it
     * has), else in name order.
     */
    static List<TableId> tables(Connection c, String publication) throws SQLException {
        List<TableId> out = new ArrayList<>();
        // Never Sluice's own schema: on a promoted follower FOR ALL TABLES also lists its bookkeeping.
        try (var ps = c.prepareStatement("SELECT pt.schemaname, pt.tablename FROM pg_publication_tables pt WHERE pt.pubname = ?"
                + " AND pt.schemaname <> 'sluice' ORDER BY (WITH RECURSIVE up(rel, depth) AS ("
                + " SELECT i.inhparent, 1 FROM pg_inherits i WHERE i.inhrelid = format('%I.%I', pt.schemaname, pt.tablename)::regclass"
                + " UNION ALL SELECT i.inhparent, up.depth + 1 FROM up JOIN pg_inherits i ON i.inhrelid = up.rel WHERE up.depth < 64)"
                + " SELECT coalesce(max(depth), 0) FROM up), pt.schemaname, pt.tablename")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /**
     * What {@code publication} publishes of {@code table} (PostgreSQL 15 and later): its row filter (the
     * {@code WHERE}, as {@code pg_get_expr} prints it — columns, constants and built-in immutable functions only)
     * or null, and its columns ({@code attnames}: every column but generated ones when no column list narrows
     * them) or null before PostgreSQL 15 — so the snapshot copies what the stream would carry.
     */
    record Published(String filter, List<String> columns) { }

    static Published published(Connection c, String publication, TableId table) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 15) {
            return new Published(null, null);
        }
        try (var ps = c.prepareStatement("SELECT rowfilter, attnames::text[] FROM pg_publication_tables WHERE pubname = ?"
                + " AND schemaname = ? AND tablename = ?")) {
            ps.setString(1, publication);
            ps.setString(2, table.schema());
            ps.setString(3, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Published(null, null);
                }
                java.sql.Array names = rs.getArray(2);
                return new Published(rs.getString(1), names == null ? null : List.of((String[]) names.getArray()));
            }
        }
    }

    /** {@code filter} as the start of a COPY's WHERE clause: empty for none. */
    static String where(String filter) {
        return filter == null ? "" : " WHERE (" + filter + ")";
    }
}
