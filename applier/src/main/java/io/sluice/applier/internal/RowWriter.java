package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes row events to the follower in order, batching consecutive events of the same statement
 * shape ({@code addBatch}/{@code executeBatch}, prepared statements reused per shape; inserts are
 * rewritten into multi-row statements by pgjdbc). Every update and delete must touch exactly one
 * row, else the follower has diverged and the applier stops naming the row. Not thread-safe;
 * one per follower connection.
 */
public final class RowWriter {

    /** Flush a batch at this many rows even if the shape does not change. */
    private static final int MAX_BATCH = 1000;

    private final Connection connection;
    private final SchemaSync schemas;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private PreparedStatement pending;
    private String pendingSql;
    private final List<Described> pendingRows = new ArrayList<>();
    private final Map<Shape, String> sqlCache = new HashMap<>();

    /** What a statement's text depends on. */
    private record Shape(String kind, TableId table, List<String> columns, List<String> where, boolean byKey) { }

    /** A batched row, described only if it fails. */
    private record Described(ChangeEvent event, Map<String, Value> identity) {
        @Override
        public String toString() {
            return describe(event, identity);
        }
    }
    private boolean pendingChecksCount;

    public RowWriter(Connection connection, SchemaSync schemas) {
        this.connection = connection;
        this.schemas = schemas;
    }

    public void insert(ChangeEvent.Insert e) throws SQLException {
        List<String> cols = List.copyOf(e.after().keySet());
        String sql = sqlCache.computeIfAbsent(new Shape("insert", e.table(), cols, List.of(), true), k ->
                "INSERT INTO " + e.table().quoted() + " (" + join(cols, ", ") + ") VALUES ("
                + cols.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")");
        PreparedStatement ps = statement(sql, false);
        int i = 1;
        for (String c : cols) {
            bind(ps, i++, e.after().get(c), e, c);
        }
        add(ps, e, e.after());
    }

    public void update(ChangeEvent.Update e) throws SQLException {
        List<String> set = new ArrayList<>();
        e.after().forEach((c, v) -> {
            if (!(v instanceof Value.Unchanged)) {
                set.add(c);
            }
        });
        if (set.isEmpty()) {
            return; // only unchanged TOAST columns: nothing to write
        }
        Where where = where(e, e.key(), e.identity());
        String sql = sqlCache.computeIfAbsent(new Shape("update", e.table(), set, where.columns(), where.byKey()), k ->
                "UPDATE " + e.table().quoted() + " SET " + set.stream().map(c -> TableId.quote(c) + " = ?")
                .collect(Collectors.joining(", ")) + " WHERE " + where.sql(e.table()));
        PreparedStatement ps = statement(sql, true);
        int i = 1;
        for (String c : set) {
            bind(ps, i++, e.after().get(c), e, c);
        }
        where.bind(ps, i, e);
        add(ps, e, e.identity());
    }

    public void delete(ChangeEvent.Delete e) throws SQLException {
        Where where = where(e, e.key(), e.before());
        String sql = sqlCache.computeIfAbsent(new Shape("delete", e.table(), List.of(), where.columns(), where.byKey()), k ->
                "DELETE FROM " + e.table().quoted() + " WHERE " + where.sql(e.table()));
        PreparedStatement ps = statement(sql, true);
        where.bind(ps, 1, e);
        add(ps, e, e.before());
    }

    public void truncate(ChangeEvent.Truncate e) throws SQLException {
        flush();
        try (Statement st = connection.createStatement()) {
            st.execute("TRUNCATE " + e.tables().stream().map(TableId::quoted).collect(Collectors.joining(", "))
                    + (e.restartIdentity() ? " RESTART IDENTITY" : "") + (e.cascade() ? " CASCADE" : ""));
        }
    }

    /** PostgreSQL takes at most 65,535 bind parameters per statement; stay well below. */
    private static final int MAX_PARAMS = 30_000;

    /**
     * Updates many rows of one table in few statements: {@code UPDATE t SET c = v.c … FROM (VALUES …)
     * AS v(…) WHERE t.k = v.k}, each value cast to its column's type without the type modifier,
     * so the assignment to the column checks length and precision as a single-row update would.
     * Falls back to one statement per row when the table's shape is not known.
     */
    public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows)
            throws SQLException {
        ChangeEvent.SchemaChange shape = schemas.shape(table);
        if (shape == null || rows.size() == 1) {
            for (ChangeEvent.Update u : rows) {
                update(u);
            }
            return;
        }
        flush();
        Map<String, String> types = shape.columns().stream().collect(Collectors.toMap(Column::name, c -> baseType(c.type())));
        List<String> cols = new ArrayList<>(key);
        cols.addAll(set.stream().filter(c -> !key.contains(c)).toList());
        int chunk = Math.max(1, MAX_PARAMS / cols.size());
        for (int from = 0; from < rows.size(); from += chunk) {
            List<ChangeEvent.Update> part = rows.subList(from, Math.min(rows.size(), from + chunk));
            StringBuilder sql = new StringBuilder("UPDATE ").append(table.quoted()).append(" AS t SET ")
                    .append(set.stream().map(c -> TableId.quote(c) + " = v." + TableId.quote(c)).collect(Collectors.joining(", ")))
                    .append(" FROM (VALUES ");
            String tuple = "(" + cols.stream().map(c -> "?::" + types.get(c)).collect(Collectors.joining(", ")) + ")";
            for (int i = 0; i < part.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append(tuple);
            }
            sql.append(") AS v(").append(join(cols, ", ")).append(") WHERE ")
                    .append(key.stream().map(k -> "t." + TableId.quote(k) + " = v." + TableId.quote(k)).collect(Collectors.joining(" AND ")));
            try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
                int i = 1;
                for (ChangeEvent.Update u : part) {
                    for (String c : cols) {
                        bind(ps, i++, key.contains(c) ? u.identity().get(c) : u.after().get(c), u, c);
                    }
                }
                int n = ps.executeUpdate();
                if (n != part.size()) {
                    throw new ApplierException("the follower has diverged: " + part.size() + " updates on " + table
                            + " (source LSN up to " + part.get(part.size() - 1).header().commitLsn() + ") matched " + n
                            + " rows; some keys are missing on the follower", false, null);
                }
            }
        }
    }

    /** Deletes many rows of one table by key: {@code DELETE … WHERE (k…) IN (VALUES …)}. */
    public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) throws SQLException {
        ChangeEvent.SchemaChange shape = schemas.shape(table);
        if (shape == null || rows.size() == 1) {
            for (ChangeEvent.Delete d : rows) {
                delete(d);
            }
            return;
        }
        flush();
        Map<String, String> types = shape.columns().stream().collect(Collectors.toMap(Column::name, c -> baseType(c.type())));
        int chunk = Math.max(1, MAX_PARAMS / key.size());
        for (int from = 0; from < rows.size(); from += chunk) {
            List<ChangeEvent.Delete> part = rows.subList(from, Math.min(rows.size(), from + chunk));
            String tuple = "(" + key.stream().map(c -> "?::" + types.get(c)).collect(Collectors.joining(", ")) + ")";
            String sql = "DELETE FROM " + table.quoted() + " WHERE (" + join(key, ", ") + ") IN (VALUES "
                    + String.join(", ", java.util.Collections.nCopies(part.size(), tuple)) + ")";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int i = 1;
                for (ChangeEvent.Delete d : part) {
                    for (String k : key) {
                        bind(ps, i++, d.before().get(k), d, k);
                    }
                }
                int n = ps.executeUpdate();
                if (n != part.size()) {
                    throw new ApplierException("the follower has diverged: " + part.size() + " deletes on " + table
                            + " (source LSN up to " + part.get(part.size() - 1).header().commitLsn() + ") matched " + n
                            + " rows; some keys are missing on the follower", false, null);
                }
            }
        }
    }

    /** A type without its modifier: numeric(12,2) → numeric, character varying(20)[] → character varying[]. */
    static String baseType(String type) {
        return type.replaceAll("\\([^)]*\\)", "");
    }

    /** Executes what is batched; checks that every update and delete touched one row. */
    public void flush() throws SQLException {
        if (pending == null) {
            return;
        }
        PreparedStatement ps = pending;
        List<Described> rows = new ArrayList<>(pendingRows);
        boolean check = pendingChecksCount;
        pending = null;
        pendingSql = null;
        pendingRows.clear();
        int[] counts;
        try {
            counts = ps.executeBatch();
        } catch (java.sql.BatchUpdateException e) {
            SQLException cause = e.getNextException() != null ? e.getNextException() : e;
            int failed = e.getUpdateCounts() == null ? 0 : e.getUpdateCounts().length;
            throw new RowException(rows.get(Math.min(failed, rows.size() - 1)).toString(), cause);
        }
        if (check) {
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 1 && counts[i] != Statement.SUCCESS_NO_INFO) {
                    throw new ApplierException("the follower has diverged: " + rows.get(i) + " matched " + counts[i]
                            + " rows on the follower, expected 1", false, null);
                }
            }
        }
    }

    /** Forgets statements (after the connection changed or rolled back). */
    public void reset() {
        pending = null;
        pendingSql = null;
        pendingRows.clear();
        statements.values().forEach(ps -> {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // the connection may be gone already
            }
        });
        statements.clear();
        sqlCache.clear();
    }

    private PreparedStatement statement(String sql, boolean checkCount) throws SQLException {
        if (!sql.equals(pendingSql) || pendingRows.size() >= MAX_BATCH) {
            flush();
            PreparedStatement ps = statements.get(sql);
            if (ps == null) {
                ps = connection.prepareStatement(sql);
                statements.put(sql, ps);
            }
            pending = ps;
            pendingSql = sql;
            pendingChecksCount = checkCount;
        }
        return pending;
    }

    private void add(PreparedStatement ps, ChangeEvent e, Map<String, Value> identity) throws SQLException {
        ps.addBatch();
        pendingRows.add(new Described(e, identity));
    }

    private static String describe(ChangeEvent e, Map<String, Value> identity) {
        TableId table = e instanceof ChangeEvent.Insert i ? i.table() : e instanceof ChangeEvent.Update u ? u.table()
                : ((ChangeEvent.Delete) e).table();
        List<String> key = e instanceof ChangeEvent.Insert i ? i.key() : e instanceof ChangeEvent.Update u ? u.key()
                : ((ChangeEvent.Delete) e).key();
        String keyText = (key.isEmpty() ? identity.keySet() : key).stream()
                .map(k -> k + "=" + SqlText.of(identity.get(k))).collect(Collectors.joining(", "));
        return e.kind() + " on " + table + " key (" + keyText + ") at source LSN " + e.header().commitLsn()
                + " xid " + e.header().xid();
    }

    private static void bind(PreparedStatement ps, int index, Value v, ChangeEvent e, String column) throws SQLException {
        if (v instanceof Value.Unchanged) {
            throw new ApplierException("an unchanged TOAST marker for column " + column + " in a " + e.kind()
                    + " at source LSN " + e.header().commitLsn() + " has no value to write", false, null);
        }
        String text = SqlText.of(v);
        if (text == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, text);
        }
    }

    /** How a row is found: by its key columns, or (no key, REPLICA IDENTITY FULL) by its whole old image. */
    private record Where(List<String> columns, Map<String, Value> values, boolean byKey, Map<String, String> types) {
        String sql(TableId table) {
            if (byKey) {
                return columns.stream().map(c -> TableId.quote(c) + " = ?").collect(Collectors.joining(" AND "));
            }
            String match = columns.stream().map(c -> (isJson(types.get(c)) ? TableId.quote(c) + "::text" : TableId.quote(c))
                    + " IS NOT DISTINCT FROM ?").collect(Collectors.joining(" AND "));
            return "ctid = (SELECT ctid FROM " + table.quoted() + " WHERE " + match + " LIMIT 1)";
        }

        void bind(PreparedStatement ps, int from, ChangeEvent e) throws SQLException {
            int i = from;
            for (String c : columns) {
                RowWriter.bind(ps, i++, values.get(c), e, c);
            }
        }

        private static boolean isJson(String type) {
            return "json".equals(type);
        }
    }

    private Where where(ChangeEvent e, List<String> key, Map<String, Value> identity) {
        TableId table = e instanceof ChangeEvent.Update u ? u.table() : ((ChangeEvent.Delete) e).table();
        if (!key.isEmpty()) {
            return new Where(key, identity, true, Map.of());
        }
        ChangeEvent.SchemaChange shape = schemas.shape(table);
        if (identity.isEmpty() || (e instanceof ChangeEvent.Update u && u.before().isEmpty())) {
            throw new ApplierException(e.kind() + " on " + table + " at source LSN " + e.header().commitLsn()
                    + " carries no key and no old row: give the table a primary key or set REPLICA IDENTITY FULL"
                    + " on the primary", false, null);
        }
        Map<String, String> types = shape == null ? Map.of()
                : shape.columns().stream().collect(Collectors.toMap(Column::name, Column::type));
        List<String> cols = identity.entrySet().stream().filter(en -> !(en.getValue() instanceof Value.Unchanged))
                .map(Map.Entry::getKey).toList();
        return new Where(cols, identity, false, types);
    }

    private static String join(List<String> cols, String sep) {
        return cols.stream().map(TableId::quote).collect(Collectors.joining(sep));
    }

    /** A row the follower refused; the message names it. */
    public static final class RowException extends SQLException {
        private static final long serialVersionUID = 1L;

        RowException(String row, SQLException cause) {
            super(cause.getMessage() + " (" + row + ")", cause.getSQLState(), cause);
        }
    }
}
