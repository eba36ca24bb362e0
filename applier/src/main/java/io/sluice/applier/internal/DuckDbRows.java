package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.DuckDbType;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes row changes to a DuckDB follower in bulk: the rows of one table and shape are appended
 * (DuckDB's appender, typed values: {@link DuckDbValues}) to a temporary staging table, and one
 * statement per table moves them — {@code INSERT … SELECT}, {@code UPDATE … FROM}, {@code DELETE …
 * USING} joined on the key. Every update and delete must find its row, and an insert must not find
 * one: anything else means the follower diverged, and the applier stops naming the table. A table
 * without a key (REPLICA IDENTITY FULL) has each update and delete find one row equal in every
 * column. Runs in the apply transaction. Used by one thread at a time, not always the same one.
 */
public final class DuckDbRows {

    /** One staged column: the follower column it feeds, and where its values come from in a row change. */
    private record Staged(DuckDbTables.Col col, Function<ChangeEvent, Map<String, Value>> from) { }

    private final DuckDbTables tables;
    private final Map<List<Object>, String> stages = new HashMap<>();
    /**
     * An appender kept open (creating one costs more than appending a group's rows), with the lock
     * that replaces its confinement to the thread that made it: the applier runs a group on the
     * stream thread while the follower thread is idle ({@link FollowerPipeline#runOrSubmit}), so
     * one staging table is appended to from both, one at a time.
     */
    private record Stage(DuckDBAppender appender, Lock lock) { }

    /** Per staging table, its appender. */
    private final Map<String, Stage> appenders = new HashMap<>();
    /** Statements by their text, planned once per session. */
    private final Map<String, PreparedStatement> prepared = new HashMap<>();
    private DuckDBConnection connection;
    private int stageCount;

    public DuckDbRows(DuckDbTables tables) {
        this.tables = tables;
    }

    /** The session to write in; the staging tables of an earlier one are gone with it. */
    public void use(DuckDBConnection c) {
        connection = c;
        reset();
    }

    /** Forgets the staging tables (a rollback undid those it created) and closes their appenders and statements. */
    public void reset() {
        stages.clear();
        for (Stage a : appenders.values()) {
            closeQuietly(a.appender());
        }
        for (AutoCloseable c : prepared.values()) {
            closeQuietly(c);
        }
        appenders.clear();
        prepared.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // its session is gone or rolled back
        }
    }

    /** Runs a statement of this session (planned at its first run); returns the rows it changed. */
    private long run(String sql) throws SQLException {
        PreparedStatement ps = prepared.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            prepared.put(sql, ps);
        }
        if (ps.execute()) {
            try (ResultSet rs = ps.getResultSet()) {
                rs.next();
                return rs.getLong(1);
            }
        }
        return ps.getUpdateCount();
    }

    /** The follower columns {@code names} of {@code table}, each staged from the row {@code from} takes of a change. */
    private List<Staged> staged(TableId table, List<String> names, Function<ChangeEvent, Map<String, Value>> from)
            throws SQLException {
        Map<String, DuckDbTables.Col> cols = tables.columns(connection, table);
        List<Staged> staged = new ArrayList<>();
        for (String name : names) {
            staged.add(new Staged(column(cols, table, name), from));
        }
        return staged;
    }

    public void insertMany(TableId table, List<String> columns, List<ChangeEvent.Insert> rows) throws SQLException {
        List<Staged> staged = staged(table, columns, e -> ((ChangeEvent.Insert) e).after());
        String stage = stage(table, staged, rows);
        List<String> key = rows.get(0).key();
        if (!key.isEmpty()) {
            long there = run("SELECT count(*) FROM " + table.quoted() + " t JOIN " + stage + " s ON " + match(staged, key, columns, "t", false));
            if (there > 0) {
                run("DELETE FROM " + stage);
                throw diverged(table, rows, there + " of their keys are already there");
            }
        }
        run("INSERT INTO " + table.quoted() + " (" + quoted(columns) + ") SELECT "
                + IntStream.range(0, staged.size()).mapToObj(i -> DuckDbValues.fromStaging(staged.get(i).col().type(), "s.c" + i))
                        .collect(Collectors.joining(", ")) + " FROM " + stage + " s");
        run("DELETE FROM " + stage);
    }

    void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) throws SQLException {
        List<Staged> staged = staged(table, key, e -> ((ChangeEvent.Update) e).identity());
        staged.addAll(staged(table, set, e -> ((ChangeEvent.Update) e).after()));
        List<String> names = new ArrayList<>(key);
        names.addAll(set);
        String stage = stage(table, staged, rows);
        String assign = IntStream.range(key.size(), staged.size())
                .mapToObj(i -> TableId.quote(names.get(i)) + " = " + DuckDbValues.fromStaging(staged.get(i).col().type(), "s.c" + i))
                .collect(Collectors.joining(", "));
        moveExactly(table, rows, "UPDATE " + table.quoted() + " AS t SET " + assign + " FROM " + stage + " s WHERE "
                + match(staged.subList(0, key.size()), key, names, "t", false), stage);
    }

    void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) throws SQLException {
        List<Staged> staged = staged(table, key, e -> ((ChangeEvent.Delete) e).before());
        String stage = stage(table, staged, rows);
        moveExactly(table, rows, "DELETE FROM " + table.quoted() + " AS t USING " + stage + " s WHERE "
                + match(staged, key, key, "t", false), stage);
    }

    /** An update of a table without a key: one row equal to the old image in every column takes the new values. */
    void updateOne(ChangeEvent.Update u) throws SQLException {
        List<String> names = new ArrayList<>(u.identity().keySet());
        int old = names.size();
        List<String> set = u.after().entrySet().stream().filter(c -> !(c.getValue() instanceof Value.Unchanged))
                .map(Map.Entry::getKey).toList();
        names.addAll(set);
        List<Staged> staged = staged(u.table(), names.subList(0, old), e -> ((ChangeEvent.Update) e).identity());
        staged.addAll(staged(u.table(), set, e -> ((ChangeEvent.Update) e).after()));
        String stage = stage(u.table(), staged, List.of(u));
        String assign = IntStream.range(old, staged.size())
                .mapToObj(i -> TableId.quote(names.get(i)) + " = " + DuckDbValues.fromStaging(staged.get(i).col().type(), "s.c" + i))
                .collect(Collectors.joining(", "));
        moveExactly(u.table(), List.of(u), "UPDATE " + u.table().quoted() + " AS t SET " + assign + " FROM " + stage + " s WHERE t.rowid = (SELECT min(o.rowid) FROM "
                + u.table().quoted() + " o WHERE " + match(staged.subList(0, old), names.subList(0, old), names, "o", true) + ")", stage);
    }

    /** A delete from a table without a key: one row equal to the old image in every column. */
    void deleteOne(ChangeEvent.Delete d) throws SQLException {
        List<String> names = new ArrayList<>(d.before().keySet());
        List<Staged> staged = staged(d.table(), names, e -> ((ChangeEvent.Delete) e).before());
        String stage = stage(d.table(), staged, List.of(d));
        moveExactly(d.table(), List.of(d), "DELETE FROM " + d.table().quoted() + " WHERE rowid = (SELECT min(o.rowid) FROM "
                + d.table().quoted() + " o, " + stage + " s WHERE " + match(staged, names, names, "o", true) + ")", stage);
    }

    void truncate(List<TableId> truncated) throws SQLException {
        try (Statement st = connection.createStatement()) {
            for (TableId t : truncated) {
                if (!tables.columns(connection, t).isEmpty()) {
                    st.execute("DELETE FROM " + t.quoted());
                }
            }
        }
    }

    private void moveExactly(TableId table, List<? extends ChangeEvent> rows, String sql, String stage) throws SQLException {
        long n = run(sql);
        run("DELETE FROM " + stage);
        if (n != rows.size()) {
            throw diverged(table, rows, "they matched " + n + " rows");
        }
    }

    /** {@code t.k = s.cI AND …}, or {@code IS NOT DISTINCT FROM} when {@code allColumns} (NULLs match then). */
    private static String match(List<Staged> staged, List<String> key, List<String> names, String alias, boolean allColumns) {
        List<String> parts = new ArrayList<>();
        for (String k : key) {
            int i = names.indexOf(k);
            parts.add(alias + "." + TableId.quote(k) + (allColumns ? " IS NOT DISTINCT FROM " : " = ")
                    + DuckDbValues.fromStaging(staged.get(i).col().type(), "s.c" + i));
        }
        return parts.isEmpty() ? "true" : String.join(" AND ", parts);
    }

    /** Appends the rows' staged columns to the staging table of this shape (created once per session); returns its name. */
    private String stage(TableId table, List<Staged> staged, List<? extends ChangeEvent> rows) throws SQLException {
        List<Object> shape = new ArrayList<>();
        shape.add(table);
        staged.forEach(s -> shape.add(s.col()));
        String name = stages.get(shape);
        if (name == null) {
            name = "temp.main.sluice_stage_" + (++stageCount);
            try (Statement st = connection.createStatement()) {
                st.execute("CREATE OR REPLACE TEMP TABLE sluice_stage_" + stageCount + " (" + IntStream.range(0, staged.size())
                        .mapToObj(i -> "c" + i + " " + DuckDbValues.stagingType(staged.get(i).col().type()))
                        .collect(Collectors.joining(", ")) + ")");
            }
            stages.put(shape, name);
        }
        Stage stage = appenders.get(name);
        if (stage == null) {
            DuckDBAppender created = connection.createAppender("temp", "main", name.substring("temp.main.".length()));
            stage = new Stage(created, created.unsafeBreakThreadConfinement());
            appenders.put(name, stage);
        }
        DuckDBAppender a = stage.appender();
        stage.lock().lock();
        try {
            for (ChangeEvent e : rows) {
                a.beginRow();
                for (Staged s : staged) {
                    Map<String, Value> row = s.from().apply(e);
                    DuckDbValues.append(a, s.col().type(), row.getOrDefault(s.col().name(), Value.Null.INSTANCE), table,
                            s.col().name(), s.col().pgType(), e, row);
                }
                a.endRow();
            }
            a.flush();
        } finally {
            stage.lock().unlock();
        }
        return name;
    }

    private static DuckDbTables.Col column(Map<String, DuckDbTables.Col> cols, TableId table, String name) {
        DuckDbTables.Col c = cols.get(name);
        if (c == null) {
            throw new ApplierException("a row change of table " + table + " has column " + name + ", which the DuckDB follower's"
                    + (cols.isEmpty() ? " table lacks: it has no such table" : " table lacks") + " (no schema event made it)", false, null);
        }
        return c;
    }

    private static ApplierException diverged(TableId table, List<? extends ChangeEvent> rows, String what) {
        return new ApplierException("the DuckDB follower has diverged: " + rows.size() + " " + rows.get(0).kind() + "s on " + table
                + " (source LSN up to " + rows.get(rows.size() - 1).header().commitLsn() + "): " + what, false, null);
    }

    private static String quoted(List<String> cols) {
        return cols.stream().map(TableId::quote).collect(Collectors.joining(", "));
    }
}
