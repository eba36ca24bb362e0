package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.TableId;
import io.sluice.format.SqlText;
import io.sluice.format.Value;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * Writes row events to the follower in order, batching consecutive events of the same statement
 * shape ({@code addBatch}/{@code executeBatch}, prepared statements reused per shape; inserts are
 * rewritten into multi-row statements by pgjdbc). Every update and delete must touch exactly one
 * row, else the follower has diverged and the applier stops naming the row. Not thread-safe;
 * one per follower connection.
 */
public final class RowWriter implements RowSink {

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

    /**
     * Truncates the tables the follower has. A table it does not have yet (no row of it has come
     * down the stream: {@code pgbench -i} truncates its tables before filling them) holds no rows
     * on the follower, so truncating it changes nothing; it is created with its first rows.
     */
    public void truncate(ChangeEvent.Truncate e) throws SQLException {
        flush();
        List<TableId> present = new java.util.ArrayList<>();
        for (TableId t : e.tables()) {
            if (FollowerTable.exists(connection, t)) {
                present.add(t);
            }
        }
        if (present.isEmpty()) {
            return;
        }
        try (Statement st = connection.createStatement()) {
            st.execute("TRUNCATE " + present.stream().map(TableId::quoted).collect(Collectors.joining(", "))
                    + (e.restartIdentity() ? " RESTART IDENTITY" : "") + (e.cascade() ? " CASCADE" : ""));
        }
    }

    /** A multi-row statement carries at most about this many characters of values; more are split. */
    private static final int MAX_STATEMENT_CHARS = 16 * 1024 * 1024;
    /** COPY data is sent in pieces of about this many characters. */
    private static final int COPY_CHUNK_CHARS = 1024 * 1024;

    /**
     * Inserts many rows of one table, all with the same columns, in one {@code COPY … FROM STDIN}
     * (text format): each value in the column type's own input syntax, parsed by the follower as a
     * single-row insert would. A row the follower refuses is named from the line COPY reports.
     */
    @Override
    public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows) throws SQLException {
        insertMany(table, cols, rows, copyText(cols, rows));
    }

    /**
     * The COPY text of many rows, built without the connection or the table's shape, so a thread
     * other than the follower's can build it ahead (the applier's stream thread does); a value that
     * has no text (an unchanged TOAST marker) is kept as the failure the COPY raises when it runs.
     */
    public static final class CopyText {
        private final List<byte[]> chunks = new ArrayList<>();
        private RuntimeException failure;
    }

    /** The COPY text of {@code rows}; null for a single row, which is inserted on its own. */
    public static CopyText copyText(List<String> cols, List<ChangeEvent.Insert> rows) {
        if (rows.size() == 1) {
            return null;
        }
        CopyText out = new CopyText();
        try {
            StringBuilder text = new StringBuilder((int) Math.min(COPY_CHUNK_CHARS, 64L * rows.size() * cols.size()) + 4096);
            for (ChangeEvent.Insert row : rows) {
                for (int c = 0; c < cols.size(); c++) {
                    if (c > 0) {
                        text.append('\t');
                    }
                    String value = textOf(row.after().get(cols.get(c)), row, cols.get(c));
                    if (value == null) {
                        text.append("\\N");
                    } else {
                        copyEscape(text, value);
                    }
                }
                text.append('\n');
                if (text.length() >= COPY_CHUNK_CHARS) {
                    out.chunks.add(text.toString().getBytes(StandardCharsets.UTF_8));
                    text.setLength(0);
                }
            }
            out.chunks.add(text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            out.failure = e;
        }
        return out;
    }

    /** {@link #insertMany(TableId, List, List)} with the COPY text already built ({@code null} for one row). */
    public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows, CopyText text) throws SQLException {
        if (rows.size() == 1) {
            insert(rows.get(0));
            return;
        }
        flush();
        if (text.failure != null) {
            throw text.failure;
        }
        String sql = "COPY " + table.quoted() + " (" + join(cols, ", ") + ") FROM STDIN";
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long written;
        try {
            for (byte[] chunk : text.chunks) {
                copy.writeToCopy(chunk, 0, chunk.length);
            }
            written = copy.endCopy();
        } catch (SQLException | RuntimeException e) {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the connection is failing; the cause below is what matters
                }
            }
            if (e instanceof SQLException failed) {
                throw new RowException(copyRow(failed, rows), failed);
            }
            throw e;
        }
        if (written != rows.size()) {
            throw new ApplierException("COPY into " + table + " wrote " + written + " rows, expected " + rows.size(), false, null);
        }
    }

    /**
     * Loads a copy event's rows with {@code COPY … FROM STDIN}, its text as it came (the primary's
     * own COPY output, FORMAT.md); a row the follower refuses is named from the line COPY reports.
     */
    public void copy(CopyEvent e) throws SQLException {
        flush();
        String sql = "COPY " + e.table().quoted() + " (" + join(e.columns(), ", ") + ") FROM STDIN";
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long written;
        try {
            e.writeTextTo(new java.io.OutputStream() {
                @Override
                public void write(int b) throws java.io.IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws java.io.IOException {
                    try {
                        copy.writeToCopy(b, off, len);
                    } catch (SQLException failed) {
                        throw new java.io.IOException(failed);
                    }
                }
            });
            written = copy.endCopy();
        } catch (SQLException | java.io.IOException | RuntimeException failure) {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the connection is failing; the cause below is what matters
                }
            }
            SQLException cause = failure instanceof SQLException s ? s
                    : failure.getCause() instanceof SQLException s ? s : null;
            if (cause != null) {
                throw new RowException(copyRow(cause, e.inserts()), cause);
            }
            throw failure instanceof RuntimeException r ? r : new java.io.UncheckedIOException((java.io.IOException) failure);
        }
        if (written != e.rows()) {
            throw new ApplierException("COPY into " + e.table() + " wrote " + written + " rows, the copy event held " + e.rows(),
                    false, null);
        }
    }

    private static final Pattern COPY_LINE = Pattern.compile("line (\\d+)");

    /** The row named by COPY's error context ({@code COPY t, line 3, column c: …}), else the range. */
    private static String copyRow(SQLException e, List<ChangeEvent.Insert> rows) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null && p.getServerErrorMessage().getWhere() != null) {
            Matcher m = COPY_LINE.matcher(p.getServerErrorMessage().getWhere());
            if (m.find()) {
                int line = Integer.parseInt(m.group(1));
                if (line >= 1 && line <= rows.size()) {
                    ChangeEvent.Insert row = rows.get(line - 1);
                    return describe(row, row.after());
                }
            }
        }
        return "one of " + rows.size() + " inserts on " + rows.get(0).table() + " at source LSN up to "
                + rows.get(rows.size() - 1).header().commitLsn();
    }

    /** COPY text format: backslash, tab, newline and carriage return escaped. */
    private static void copyEscape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    /**
     * Updates many rows of one table that set the same columns, one statement per ~16 MiB of
     * values: {@code UPDATE t SET c = v.c::type … FROM unnest(?::text[], …) AS v(…) WHERE t.k =
     * v.k::type}. Each column travels as one text array and each value is cast to its column's
     * type without the modifier ({@link #castType}), so assigning it checks length and precision
     * as a single-row update would. The statement text depends only on the columns: it is
     * prepared once and reused. One statement per row when the table's shape is not known.
     */
    @Override
    public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows)
            throws SQLException {
        updateMany(table, key, set, rows, updateTexts(key, set, rows));
    }

    /** The columns of a multi-row update: the key, then the set columns that are not key columns. */
    private static List<String> updateColumns(List<String> key, List<String> set) {
        List<String> cols = new ArrayList<>(key);
        cols.addAll(set.stream().filter(c -> !key.contains(c)).toList());
        return cols;
    }

    /** The text arrays of a multi-row update, buildable on any thread (see {@link ColumnTexts}); null for a single row. */
    public static ColumnTexts updateTexts(List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
        return rows.size() == 1 ? null
                : ColumnTexts.of(updateColumns(key, set), rows, (u, c) -> key.contains(c) ? u.identity().get(c) : u.after().get(c));
    }

    /** {@link #updateMany(TableId, List, List, List)} with the text arrays already built ({@code null} for one row). */
    public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows, ColumnTexts texts)
            throws SQLException {
        Map<String, String> types = rows.size() == 1 ? null : schemas.castTypes(connection, table);
        if (types == null) {
            for (ChangeEvent.Update u : rows) {
                update(u);
            }
            return;
        }
        flush();
        List<String> cols = updateColumns(key, set);
        String sql = sqlCache.computeIfAbsent(new Shape("update-many", table, set, key, true), k -> {
            return "UPDATE " + table.quoted() + " AS t SET "
                    + set.stream().map(c -> TableId.quote(c) + " = v.c" + cols.indexOf(c) + "::" + types.get(c))
                            .collect(Collectors.joining(", "))
                    + " FROM " + unnest(cols) + " WHERE " + matchKey(key, types);
        });
        executeByKey(sql, table, texts, rows);
    }

    /** Deletes many rows of one table by key: {@code DELETE … USING unnest(?::text[], …) AS v(…) WHERE t.k = v.k::type}. */
    @Override
    public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) throws SQLException {
        deleteMany(table, key, rows, deleteTexts(key, rows));
    }

    /** The text arrays of a multi-row delete, buildable on any thread (see {@link ColumnTexts}); null for a single row. */
    public static ColumnTexts deleteTexts(List<String> key, List<ChangeEvent.Delete> rows) {
        return rows.size() == 1 ? null : ColumnTexts.of(key, rows, (d, c) -> d.before().get(c));
    }

    /** {@link #deleteMany(TableId, List, List)} with the text arrays already built ({@code null} for one row). */
    public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows, ColumnTexts texts) throws SQLException {
        Map<String, String> types = rows.size() == 1 ? null : schemas.castTypes(connection, table);
        if (types == null) {
            for (ChangeEvent.Delete d : rows) {
                delete(d);
            }
            return;
        }
        flush();
        String sql = sqlCache.computeIfAbsent(new Shape("delete-many", table, List.of(), key, true), k ->
                "DELETE FROM " + table.quoted() + " AS t USING " + unnest(key) + " WHERE " + matchKey(key, types));
        executeByKey(sql, table, texts, rows);
    }

    /**
     * Each column's values as text for a multi-row update or delete, cut into parts of at most
     * about {@link #MAX_STATEMENT_CHARS} characters (one statement each). Needs neither the
     * connection nor the table's shape, so the applier's stream thread builds it ahead of the
     * follower thread; a value with no text (an unchanged TOAST marker) is kept as the failure the
     * statement raises when it runs, in order.
     */
    public static final class ColumnTexts {
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
                        String text = textOf(value.apply(rows.get(i), cols.get(c)), rows.get(i), cols.get(c));
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
    private static String matchKey(List<String> key, Map<String, String> types) {
        return java.util.stream.IntStream.range(0, key.size())
                .mapToObj(i -> "t." + TableId.quote(key.get(i)) + " = v.c" + i + "::" + types.get(key.get(i)))
                .collect(Collectors.joining(" AND "));
    }

    /** Binds one text array per column and executes; returns the rows the statement touched. */
    private int executeArrays(String sql, String[][] columns, List<? extends ChangeEvent> rows, TableId table) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        for (int c = 0; c < columns.length; c++) {
            ps.setArray(c + 1, connection.createArrayOf("text", columns[c]));
        }
        try {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new RowException("one of " + rows.size() + " " + rows.get(0).kind() + "s on " + table
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
        String text = textOf(v, e, column);
        if (text == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, text);
        }
    }

    /** The value's SQL text, null for NULL; an unchanged TOAST marker here is an error naming the column. */
    private static String textOf(Value v, ChangeEvent e, String column) {
        if (v instanceof Value.Unchanged) {
            throw new ApplierException("an unchanged TOAST marker for column " + column + " in a " + e.kind()
                    + " at source LSN " + e.header().commitLsn() + " has no value to write", false, null);
        }
        return SqlText.of(v);
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

    private Where where(ChangeEvent e, List<String> key, Map<String, Value> identity) throws SQLException {
        TableId table = e instanceof ChangeEvent.Update u ? u.table() : ((ChangeEvent.Delete) e).table();
        if (!key.isEmpty()) {
            return new Where(key, identity, true, Map.of());
        }
        if (identity.isEmpty() || (e instanceof ChangeEvent.Update u && u.before().isEmpty())) {
            throw new ApplierException(e.kind() + " on " + table + " at source LSN " + e.header().commitLsn()
                    + " carries no key and no old row: give the table a primary key or set REPLICA IDENTITY FULL"
                    + " on the primary", false, null);
        }
        Map<String, String> types = java.util.Objects.requireNonNullElse(schemas.castTypes(connection, table), Map.of());
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
