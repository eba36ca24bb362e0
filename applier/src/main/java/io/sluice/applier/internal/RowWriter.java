package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Writes row events to a PostgreSQL follower in order. Single rows are batched while consecutive
 * events share a statement shape ({@code addBatch}/{@code executeBatch}, prepared statements
 * reused per shape; inserts are rewritten into multi-row statements by pgjdbc); a group's
 * collapsed rows go by COPY ({@link CopyLoader}) and by key through {@code unnest}
 * ({@link UnnestStatements}), after what is batched. Every update and delete must touch exactly
 * one row, else the follower has diverged and the applier stops naming the row. Not thread-safe;
 * one per follower connection.
 */
public final class RowWriter {

    /** Flush a batch at this many rows even if the shape does not change. */
    private static final int MAX_BATCH = 1000;

    private final Connection connection;
    private final SchemaSync schemas;
    private final PreparedStatements statements;
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
            return RowText.describe(event, identity);
        }
    }
    private boolean pendingChecksCount;
    private final CopyLoader copies;
    private final UnnestStatements byKey;
    private final Truncations truncations;

    public RowWriter(Connection connection, SchemaSync schemas) {
        this.connection = connection;
        this.schemas = schemas;
        this.statements = new PreparedStatements(connection);
        this.copies = new CopyLoader(connection);
        this.byKey = new UnnestStatements(connection, statements);
        this.truncations = new Truncations(connection, schemas);
    }

    /** The table as a statement on its rows names it ({@link SchemaSync#rowsOf}). */
    String rowsOf(TableId table) throws SQLException {
        return schemas.rowsOf(connection, table);
    }

    public void insert(ChangeEvent.Insert e) throws SQLException {
        List<String> cols = List.copyOf(e.after().keySet());
        String sql = sqlCache.computeIfAbsent(new Shape("insert", e.table(), cols, List.of(), true), k ->
                "INSERT INTO " + e.table().quoted() + " (" + RowText.columns(cols, ", ") + ") VALUES ("
                + cols.stream().map(c -> "?").collect(Collectors.joining(", ")) + ")");
        PreparedStatement ps = statement(sql, false);
        bindInsert(ps, e);
        add(ps, e, e.after());
    }

    /** Binds an insert's values from parameter 1 on, in the event's column order; returns the next parameter. */
    private static int bindInsert(PreparedStatement ps, ChangeEvent.Insert e) throws SQLException {
        int i = 1;
        for (Map.Entry<String, Value> c : e.after().entrySet()) {
            RowText.bind(ps, i++, c.getValue(), e, c.getKey());
        }
        return i;
    }

    /**
     * What is batched, taken out unexecuted when it is a single INSERT: the group's commit sends it
     * in the same round trip as the watermark's move and the COMMIT ({@link Bookkeeping#advanceAndCommit}).
     * Null otherwise; what is batched is then {@link #flush}ed as usual.
     */
    public Bookkeeping.Leading takeSingleInsert() throws SQLException {
        if (pending == null || pendingRows.size() != 1 || !(pendingRows.get(0).event() instanceof ChangeEvent.Insert e)) {
            return null;
        }
        Described row = pendingRows.get(0);
        String sql = pendingSql;
        pending.clearBatch();
        pending = null;
        pendingSql = null;
        pendingRows.clear();
        return new Bookkeeping.Leading(sql, ps -> bindInsert(ps, e), row::toString);
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
        RowMatch where = RowMatch.of(e, e.key(), e.identity(), schemas, connection);
        String target = rowsOf(e.table());
        String sql = sqlCache.computeIfAbsent(new Shape("update", e.table(), set, where.columns(), where.byKey()), k ->
                "UPDATE " + target + " SET " + set.stream().map(c -> TableId.quote(c) + " = ?")
                .collect(Collectors.joining(", ")) + " WHERE " + where.sql(target));
        PreparedStatement ps = statement(sql, true);
        int i = 1;
        for (String c : set) {
            RowText.bind(ps, i++, e.after().get(c), e, c);
        }
        where.bind(ps, i, e);
        add(ps, e, e.identity());
    }

    public void delete(ChangeEvent.Delete e) throws SQLException {
        RowMatch where = RowMatch.of(e, e.key(), e.before(), schemas, connection);
        String target = rowsOf(e.table());
        String sql = sqlCache.computeIfAbsent(new Shape("delete", e.table(), List.of(), where.columns(), where.byKey()), k ->
                "DELETE FROM " + target + " WHERE " + where.sql(target));
        PreparedStatement ps = statement(sql, true);
        where.bind(ps, 1, e);
        add(ps, e, e.before());
    }

    /** Truncates the tables the primary emptied ({@link Truncations}). */
    public void truncate(ChangeEvent.Truncate e) throws SQLException {
        flush();
        truncations.apply(e);
    }

    /**
     * Inserts many rows of one table, all with the same columns: one by one when there is one, else
     * in one COPY ({@link CopyLoader}) with the text the stream thread built ({@link #copyText}).
     */
    public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows, CopyLoader.CopyText text)
            throws SQLException {
        if (rows.size() == 1) {
            insert(rows.get(0));
            return;
        }
        flush();
        copies.insertMany(table, cols, rows, text);
    }

    /** The COPY text of {@code rows}, buildable on any thread; null for a single row, which is inserted on its own. */
    public static CopyLoader.CopyText copyText(List<String> cols, List<ChangeEvent.Insert> rows) {
        return rows.size() == 1 ? null : CopyLoader.copyText(cols, rows);
    }

    /** Loads a copy event's rows (a snapshot's) with COPY, its text as it came. */
    public void copy(CopyEvent e) throws SQLException {
        flush();
        copies.copy(e);
    }

    /**
     * Updates many rows of one table that set the same columns, by key ({@link UnnestStatements});
     * one statement per row when there is one or the table's shape is not known.
     */
    public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows,
                           UnnestStatements.ColumnTexts texts) throws SQLException {
        Map<String, String> types = rows.size() == 1 ? null : schemas.castTypes(connection, table);
        if (types == null) {
            for (ChangeEvent.Update u : rows) {
                update(u);
            }
            return;
        }
        flush();
        byKey.updateMany(table, rowsOf(table), key, set, rows, texts, types, schemas.equalities(connection, table));
    }

    /** The text arrays of a multi-row update, buildable on any thread; null for a single row. */
    public static UnnestStatements.ColumnTexts updateTexts(List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
        return rows.size() == 1 ? null : UnnestStatements.updateTexts(key, set, rows);
    }

    /** Deletes many rows of one table by key ({@link UnnestStatements}); one by one when there is one or the shape is not known. */
    public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows, UnnestStatements.ColumnTexts texts)
            throws SQLException {
        Map<String, String> types = rows.size() == 1 ? null : schemas.castTypes(connection, table);
        if (types == null) {
            for (ChangeEvent.Delete d : rows) {
                delete(d);
            }
            return;
        }
        flush();
        byKey.deleteMany(table, rowsOf(table), key, rows, texts, types, schemas.equalities(connection, table));
    }

    /** The text arrays of a multi-row delete, buildable on any thread; null for a single row. */
    public static UnnestStatements.ColumnTexts deleteTexts(List<String> key, List<ChangeEvent.Delete> rows) {
        return rows.size() == 1 ? null : UnnestStatements.deleteTexts(key, rows);
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
            throw RowException.naming(() -> rows.get(Math.min(failed, rows.size() - 1)).toString(), cause);
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

    /**
     * Forgets the statements' texts after a table's shape changed: they cast values to the columns' types, which a
     * column's new type would refuse (an integer retyped as text, say).
     */
    public void shapesChanged() {
        sqlCache.clear();
        byKey.reset();
    }

    /** Forgets statements (after the connection changed or rolled back). */
    public void reset() {
        pending = null;
        pendingSql = null;
        pendingRows.clear();
        statements.closeAll();
        sqlCache.clear();
        byKey.reset();
    }

    private PreparedStatement statement(String sql, boolean checkCount) throws SQLException {
        if (!sql.equals(pendingSql) || pendingRows.size() >= MAX_BATCH) {
            flush();
            pending = statements.get(sql);
            pendingSql = sql;
            pendingChecksCount = checkCount;
        }
        return pending;
    }

    private void add(PreparedStatement ps, ChangeEvent e, Map<String, Value> identity) throws SQLException {
        ps.addBatch();
        pendingRows.add(new Described(e, identity));
    }

    /** A row the follower refused; the message names it. */
    public static final class RowException extends SQLException {
        private static final long serialVersionUID = 1L;

        private RowException(String row, SQLException cause) {
            super(cause.getMessage() + " (" + row + ")", cause.getSQLState(), cause);
        }

        /**
         * What a statement carrying {@code row} throws when it fails: the failure naming the row,
         * unless the row did not cause it — a lost connection, a deadlock or serialization failure,
         * a server out of resources or shutting down ({@link FailureKind#RETRY}) — which is thrown
         * as it came, so the retry's log says what happened rather than which row rode with it.
         */
        static SQLException naming(Supplier<String> row, SQLException cause) {
            return FailureKind.of(cause) == FailureKind.RETRY ? cause : new RowException(row.get(), cause);
        }
    }
}
