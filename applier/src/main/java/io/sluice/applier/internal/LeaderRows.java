package io.sluice.applier.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The statements {@link ConflictingRows} runs on a leader: a row read and locked with the commit
 * time and origin of its last writer, a key's tombstone, and the writes a decision makes. Values
 * are PostgreSQL's text forms throughout (the stream's).
 */
final class LeaderRows {

    /** What a change met: a row (empty when none) and who committed it when — or, no row, its key's last delete. */
    record Met(boolean exists, Map<String, String> row, Instant commitTime, String origin) {
        static final Met NOTHING = new Met(false, Map.of(), null, null);
    }

    private final Connection connection;
    private final LeaderSession leader;
    private final RowWriter writer;
    /** Each table's columns in order, read once; forgotten when a schema or DDL event may change them. */
    private final Map<TableId, List<String>> columns = new java.util.HashMap<>();

    /** {@code writer}: names a table as a statement on its rows does ({@link RowWriter#rowsOf}). */
    LeaderRows(Connection connection, LeaderSession leader, RowWriter writer) {
        this.connection = connection;
        this.leader = leader;
        this.writer = writer;
    }

    /** The row with this key, each value its type's text output (as the stream carries it), locked until the follower transaction ends. */
    Met row(TableId table, List<String> keyColumns, List<String> key) throws SQLException {
        List<String> cols = columns(table);
        String sql = "SELECT ARRAY[" + cols.stream().map(c -> "t." + TableId.quote(c) + "::text").collect(Collectors.joining(", "))
                + "]::text[], (pg_xact_commit_timestamp_origin(t.xmin)).timestamp, (pg_xact_commit_timestamp_origin(t.xmin)).roident"
                + " FROM " + writer.rowsOf(table) + " t WHERE " + where(keyColumns) + " FOR UPDATE";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindTexts(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Met.NOTHING;
                }
                String[] values = (String[]) rs.getArray(1).getArray();
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < cols.size(); i++) {
                    row.put(cols.get(i), values[i]);
                }
                Timestamp ts = rs.getTimestamp(2);
                return new Met(true, row, ts == null ? null : ts.toInstant(), leader.writer(rs.getLong(3)));
            }
        }
    }

    /** A schema or DDL event was applied: columns are read again. */
    void forgetColumns() {
        columns.clear();
    }

    private List<String> columns(TableId table) throws SQLException {
        List<String> cols = columns.get(table);
        if (cols == null) {
            cols = new ArrayList<>();
            try (PreparedStatement ps = connection.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass"
                    + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
                ps.setString(1, table.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        cols.add(rs.getString(1));
                    }
                }
            }
            columns.put(table, List.copyOf(cols));
        }
        return cols;
    }

    /** The key's last delete here, as a row-less {@link Met}; {@link Met#NOTHING} when it was never deleted. */
    Met tombstone(TableId table, List<String> key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT (pg_xact_commit_timestamp_origin(xmin)).timestamp,"
                + " (pg_xact_commit_timestamp_origin(xmin)).roident FROM sluice.tombstone"
                + " WHERE schema_name = ? AND table_name = ? AND key = ?")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            ps.setArray(3, texts(key));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Met.NOTHING;
                }
                Timestamp ts = rs.getTimestamp(1);
                return new Met(false, Map.of(), ts == null ? null : ts.toInstant(), leader.writer(rs.getLong(2)));
            }
        }
    }

    /** Inserts the row unless its key exists by now (a writer here may insert it after a lookup that found none); whether it did. */
    boolean insertIfAbsent(TableId table, List<String> keyColumns, Map<String, String> row) throws SQLException {
        List<String> cols = List.copyOf(row.keySet());
        String sql = "INSERT INTO " + table.quoted() + " (" + cols.stream().map(TableId::quote).collect(Collectors.joining(", "))
                + ") VALUES (" + cols.stream().map(c -> "?").collect(Collectors.joining(", ")) + ") ON CONFLICT ("
                + keyColumns.stream().map(TableId::quote).collect(Collectors.joining(", ")) + ") DO NOTHING";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindTexts(ps, 1, cols.stream().map(row::get).toList());
            return ps.executeUpdate() == 1;
        }
    }

    /** Sets the locked row's columns to {@code row}'s values. */
    void set(TableId table, List<String> keyColumns, List<String> key, Map<String, String> row) throws SQLException {
        List<String> cols = List.copyOf(row.keySet());
        String sql = "UPDATE " + writer.rowsOf(table) + " SET " + cols.stream().map(c -> TableId.quote(c) + " = ?")
                .collect(Collectors.joining(", ")) + " WHERE " + where(keyColumns);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            List<String> values = new ArrayList<>(cols.stream().map(row::get).toList());
            values.addAll(key);
            bindTexts(ps, 1, values);
            ps.executeUpdate();
        }
    }

    void delete(TableId table, List<String> keyColumns, List<String> key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + writer.rowsOf(table) + " WHERE " + where(keyColumns))) {
            bindTexts(ps, 1, key);
            ps.executeUpdate();
        }
    }

    /** Records the key's delete in this follower transaction (its row version carries the source's commit). */
    void keepTombstone(TableId table, List<String> key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO sluice.tombstone (schema_name, table_name, key)"
                + " VALUES (?, ?, ?) ON CONFLICT (schema_name, table_name, key) DO UPDATE SET deletes = sluice.tombstone.deletes + 1")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            ps.setArray(3, texts(key));
            ps.executeUpdate();
        }
    }

    /** The columns of a unique index of {@code table}, by the index's (or its constraint's) name, in index order. */
    List<String> uniqueColumns(TableId table, String index) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.attname FROM pg_index i
                JOIN pg_class ic ON ic.oid = i.indexrelid
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = ?::regclass AND ic.relname = ? AND i.indisunique AND NOT i.indisprimary
                ORDER BY k.ord""")) {
            ps.setString(1, table.quoted());
            ps.setString(2, index);
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.add(rs.getString(1));
                }
            }
            return cols;
        }
    }

    java.sql.Savepoint savepoint() throws SQLException {
        return connection.setSavepoint();
    }

    void release(java.sql.Savepoint sp) throws SQLException {
        connection.releaseSavepoint(sp);
    }

    void rollback(java.sql.Savepoint sp) throws SQLException {
        connection.rollback(sp);
    }

    Array texts(List<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray());
    }

    /** A change's row as text, without the columns it left unchanged (unchanged TOAST). */
    static Map<String, String> text(ChangeEvent e, Map<String, io.sluice.format.Value> row) {
        Map<String, String> out = new LinkedHashMap<>();
        row.forEach((c, v) -> {
            if (!(v instanceof io.sluice.format.Value.Unchanged)) {
                out.put(c, RowText.of(v, e, c));
            }
        });
        return out;
    }

    private static String where(List<String> keyColumns) {
        return keyColumns.stream().map(c -> TableId.quote(c) + " = ?").collect(Collectors.joining(" AND "));
    }

    private static void bindTexts(PreparedStatement ps, int from, List<String> values) throws SQLException {
        int i = from;
        for (String v : values) {
            if (v == null) {
                ps.setNull(i++, Types.VARCHAR);
            } else {
                ps.setString(i++, v);
            }
        }
    }
}
