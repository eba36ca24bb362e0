package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.RowWriter.RowException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Updates and deletes many rows of one table by key in one statement per ~16 MiB of values: each
 * column travels as one text array, joined to the table through {@code unnest}. The text arrays
 * ({@link ColumnTexts}) are built ahead on the stream thread. Every row names one existing key, so
 * a statement must touch exactly as many rows as it carries, else the follower has diverged. Not
 * thread-safe; one per follower connection.
 */
final class UnnestStatements {

    /** A multi-row statement carries at most about this many characters of values; more are split. */
    private static final int MAX_STATEMENT_CHARS = 16 * 1024 * 1024;

    private final Connection connection;
    private final PreparedStatements statements;
    /** Statement texts by table and columns. */
    private final Map<List<Object>, String> sqlCache = new HashMap<>();

    UnnestStatements(Connection connection, PreparedStatements statements) {
        this.connection = connection;
        this.statements = statements;
    }

    /** The columns of a multi-row update: the key, then the set columns that are not key columns. */
    private static List<String> updateColumns(List<String> key, List<String> set) {
        List<String> cols = new ArrayList<>(key);
        cols.addAll(set.stream().filter(c -> !key.contains(c)).toList());
        return cols;
    }

    /** The text arrays of a multi-row update, buildable on any thread (see {@link ColumnTexts}); null for a single row. */
    static ColumnTexts updateTexts(List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
        return rows.size() == 1 ? null
                : ColumnTexts.of(updateColumns(key, set), rows, (u, c) -> key.contains(c) ? u.identity().get(c) : u.after().get(c));
    }

    /**
     * Updates many rows of one table ({@code rowsOf}: as {@link SchemaSync#rowsOf} names it) that set the same
     * columns, one statement per ~16 MiB of values: {@code UPDATE t SET c = v.c::type … FROM unnest(?::text[], …) AS v(…) WHERE t.k =
     * v.k::type}. Each column travels as one text array and each value is cast to its column's
     * type without the modifier ({@link #castType}), so assigning it checks length and precision
     * as a single-row update would. The statement text depends only on the columns: it is
     * prepared once and reused. The text arrays are built ahead by {@link #updateTexts}; {@code types}
     * are the columns' cast types ({@link SchemaSync#castTypes}), {@code equalities} how key columns compare where
     * {@code =} does not serve ({@link ColumnEquality}).
     */
    void updateMany(TableId table, String rowsOf, List<String> key, List<String> set, List<ChangeEvent.Update> rows,
                    ColumnTexts texts, Map<String, String> types, Map<String, ColumnEquality> equalities) throws SQLException {
        List<String> cols = updateColumns(key, set);
        String sql = sqlCache.computeIfAbsent(List.of("update", table, set, key), k -> {
            return "UPDATE " + rowsOf + " AS t SET "
                    + set.stream().map(c -> TableId.quote(c) + " = v.c" + cols.indexOf(c) + "::" + types.get(c))
                            .collect(Collectors.joining(", "))
                    + " FROM " + unnest(cols) + " WHERE " + matchKey(key, types, equalities);
        });
        executeByKey(sql, table, texts, rows);
    }

    /** The text arrays of a multi-row delete, buildable on any thread (see {@link ColumnTexts}); null for a single row. */
    static ColumnTexts deleteTexts(List<String> key, List<ChangeEvent.Delete> rows) {
        return rows.size() == 1 ? null : ColumnTexts.of(key, rows, (d, c) -> d.before().get(c));
    }

    /**
     * Deletes many rows of one table by key: {@code DELETE … USING unnest(?::text[], …) AS v(…) WHERE t.k = v.k::type}.
     * The text arrays are built ahead by {@link #deleteTexts}.
     */
    void deleteMany(TableId table, String rowsOf, List<String> key, List<ChangeEvent.Delete> rows, ColumnTexts texts,
                    Map<String, String> types, Map<String, ColumnEquality> equalities) throws SQLException {
        String sql = sqlCache.computeIfAbsent(List.of("delete", table, key), k ->
                "DELETE FROM " + rowsOf + " AS t USING " + unnest(key) + " WHERE " + matchKey(key, types, equalities));
        executeByKey(sql, table, texts, rows);
    }

    /**
     * Each column's values as text for a multi-row update or delete, cut into parts of at most
     * about {@link #MAX_STATEMENT_CHARS} characters (one statement each). Needs neither the
     * connection nor the table's shape, so the applier's stream thread builds it ahead of the
     * follower thread; a value with no text (an unchanged TOAST marker) is kept as the failure the
     * statement raises when it runs, in order.
     */
    static final class ColumnTexts {
        private final List<int[]> parts = new ArrayList<>(); // {from, to} into the rows
        private final List<String[][]> texts = new ArrayList<>(); // per part: per column, per row
        private RuntimeException failure;

        static <E extends ChangeEvent> ColumnTexts of(List<String> cols, List<E> rows,
                java.util.function.BiFunction<E, String, Value> value) {
            ColumnTexts out = new ColumnTexts();
            try {
                // Each cell looked up and rendered once; a part ends where its text reaches the bound.
                long chars = 0;
                List<String[]> part = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    String[] texts = new String[cols.size()];
                    for (int c = 0; c < texts.length; c++) {
                        String text = RowText.of(value.apply(rows.get(i), cols.get(c)), rows.get(i), cols.get(c));
                        texts[c] = text;
                        chars += text == null ? 4 : text.length();
                    }
                    part.add(texts);
                    if (chars >= MAX_STATEMENT_CHARS || i == rows.size() - 1) {
                        String[][] columns = new String[cols.size()][part.size()];
                        for (int r = 0; r < part.size(); r++) {
                            for (int c = 0; c < columns.length; c++) {
                                columns[c][r] = part.get(r)[c];
                            }
                        }
                        out.parts.add(new int[] {i + 1 - part.size(), i + 1});
                        out.texts.add(columns);
                        chars = 0;
                        part.clear();
                    }
                }
            } catch (RuntimeException e) {
                out.failure = e;
            }
            return out;
        }
    }

    /**
     * Runs a multi-row statement part by part; every row names one existing key, so each part must
     * touch exactly as many rows as it holds.
     */
    private <E extends ChangeEvent> void executeByKey(String sql, TableId table, ColumnTexts texts, List<E> rows)
            throws SQLException {
        if (texts.failure != null) {
            throw texts.failure;
        }
        for (int p = 0; p < texts.parts.size(); p++) {
            List<E> part = rows.subList(texts.parts.get(p)[0], texts.parts.get(p)[1]);
            int n = executeArrays(sql, texts.texts.get(p), part, table);
            if (n != part.size()) {
                throw new ApplierException("the follower has diverged: " + part.size() + " " + part.get(0).kind() + "s on "
                        + table + " (source LSN up to " + part.get(part.size() - 1).header().commitLsn() + ") matched " + n
                        + " rows; some keys are missing on the follower", false, null);
            }
        }
    }

    /** {@code unnest(?::text[], …) AS v(c0, c1, …)}: one text array per column. */
    private static String unnest(List<String> cols) {
        return "unnest(" + String.join(", ", java.util.Collections.nCopies(cols.size(), "?::text[]")) + ") AS v("
                + java.util.stream.IntStream.range(0, cols.size()).mapToObj(i -> "c" + i).collect(Collectors.joining(", ")) + ")";
    }

    /** The key columns are the first columns of the unnest. */
    private static String matchKey(List<String> key, Map<String, String> types, Map<String, ColumnEquality> equalities) {
        return java.util.stream.IntStream.range(0, key.size())
                .mapToObj(i -> ColumnEquality.condition(equalities.get(key.get(i)), "t." + TableId.quote(key.get(i)), "=",
                        "v.c" + i, types.get(key.get(i))))
                .collect(Collectors.joining(" AND "));
    }

    /** Binds one text array per column and executes; returns the rows the statement touched. */
    private int executeArrays(String sql, String[][] columns, List<? extends ChangeEvent> rows, TableId table) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        for (int c = 0; c < columns.length; c++) {
            ps.setArray(c + 1, connection.createArrayOf("text", columns[c]));
        }
        try {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw RowException.naming(() -> "one of " + rows.size() + " " + rows.get(0).kind() + "s on " + table
                    + " at source LSN up to " + rows.get(rows.size() - 1).header().commitLsn(), e);
        }
    }

    /**
     * The type a text value is cast to before it is assigned to a column: the column's type
     * without its modifier (numeric(12,2) → numeric, character varying(20)[] → character
     * varying[]), so the assignment applies the modifier exactly as a single-row write does.
     * {@code character} and {@code bit} without a length mean length 1 in a cast, and an explicit
     * cast truncates silently, so they become {@code bpchar} and {@code bit varying}.
     */
    static String castType(String type) {
        String base = type.replaceAll("\\([^)]*\\)", "");
        int dims = base.indexOf('[');
        String element = dims < 0 ? base : base.substring(0, dims);
        String suffix = dims < 0 ? "" : base.substring(dims);
        return switch (element) {
            case "character" -> "bpchar" + suffix;
            case "bit" -> "bit varying" + suffix;
            default -> base;
        };
    }

    /** Forgets statement texts (after the connection changed or rolled back; the statements are closed by their owner). */
    void reset() {
        sqlCache.clear();
    }
}
