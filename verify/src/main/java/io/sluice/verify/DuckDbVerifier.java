package io.sluice.verify;

import io.sluice.applier.DuckDbType;
import io.sluice.verify.Verifier.Report;
import io.sluice.verify.Verifier.TableResult;
import io.sluice.format.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Compares the primary's tables with a follower of kind {@code duckdb}: every row, each column
 * read on both sides into one canonical text by its {@link DuckDbType} — a date as its epoch day, a
 * timestamp as its epoch microseconds, an interval as months:days:microseconds, a float as its IEEE
 * bits, bytes as hex, the rest as text — so that equal means the same value, not a similar print.
 * A column kept as PostgreSQL text whose text differs is given to the primary to read back: equal
 * when it reads as the primary's value. Whole tables; under writes a table that differs is read
 * again, up to {@code retries} times, {@code wait} apart.
 *
 * <p>DuckDB lets one process write a file: run it where no applier holds the file, or in the
 * applier's own process (as the demo and the tests do; connections of one process share it).
 */
public final class DuckDbVerifier {

    private static final int SHOWN = 5;

    private final DataSource primary;
    private final Path file;
    private final int retries;
    private final Duration wait;

    public DuckDbVerifier(DataSource primary, Path file, int retries, Duration wait) {
        this.primary = primary;
        this.file = file;
        this.retries = retries;
        this.wait = wait;
    }

    public Report verify(List<String> tables) throws SQLException, InterruptedException {
        List<TableResult> results = new ArrayList<>();
        try (Connection duck = open(); Connection pg = Verifier.session(primary)) {
            for (String t : tables) {
                TableResult r = table(pg, duck, t);
                for (int attempt = 0; attempt < retries && !r.equal(); attempt++) {
                    Thread.sleep(wait.toMillis()); // a backoff between whole reads, not a synchronisation
                    r = table(pg, duck, t);
                }
                results.add(r);
            }
        }
        return new Report(results);
    }

    private Connection open() throws SQLException {
        try {
            return DriverManager.getConnection("jdbc:duckdb:" + file, new Properties());
        } catch (SQLException e) {
            throw new SQLException("cannot open DuckDB follower file " + file + " (DuckDB lets one process open a file for writing:"
                    + " verify while its applier is stopped, or from the applier's process): " + e.getMessage(), e);
        }
    }

    /** A column of the primary's table: name, PostgreSQL type, follower type. */
    private record Col(String name, String pgType, DuckDbType type) { }

    private TableResult table(Connection pg, Connection duck, String name) throws SQLException {
        TableId table = TableId.parse(name);
        List<Col> cols = new ArrayList<>();
        try (PreparedStatement ps = pg.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.add(new Col(rs.getString(1), rs.getString(2), DuckDbType.of(rs.getString(2))));
                }
            }
        }
        List<String> key = Verifier.primaryKey(primary, name);
        Map<List<String>, Row> onPrimary = rows(pg, table, cols, key, true);
        Map<List<String>, Row> onFollower;
        try {
            onFollower = rows(duck, table, cols, key, false);
        } catch (SQLException e) {
            return new TableResult(name, false, count(onPrimary), 0, 1, List.of("cannot read " + table + " on the DuckDB follower: "
                    + e.getMessage().lines().findFirst().orElse("")));
        }
        List<String> differences = new ArrayList<>();
        int differing = 0;
        for (Map.Entry<List<String>, Row> p : onPrimary.entrySet()) {
            Row f = onFollower.get(p.getKey());
            String why = f == null ? "missing on the follower" : differs(pg, cols, p.getValue(), f);
            if (why != null && differing++ < SHOWN) {
                differences.add((key.isEmpty() ? "row " : "key ") + p.getKey() + ": " + why);
            }
        }
        for (List<String> k : onFollower.keySet()) {
            if (!onPrimary.containsKey(k) && differing++ < SHOWN) {
                differences.add((key.isEmpty() ? "row " : "key ") + k + ": on the follower but not on the primary");
            }
        }
        if (differing > SHOWN) {
            differences.add("… " + (differing - SHOWN) + " more");
        }
        return new TableResult(name, differing == 0, count(onPrimary), count(onFollower), 1, differences);
    }

    /** A row's canonical values, and how many such rows a table without a key holds. */
    private record Row(List<String> values, int count) { }

    private static long count(Map<List<String>, Row> rows) {
        return rows.values().stream().mapToLong(Row::count).sum();
    }

    private static Map<List<String>, Row> rows(Connection c, TableId table, List<Col> cols, List<String> key, boolean postgres)
            throws SQLException {
        List<String> exprs = cols.stream().map(col -> canonical(col.type(), TableId.quote(col.name()), postgres)).toList();
        Map<List<String>, Row> rows = new HashMap<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + String.join(", ", exprs) + " FROM "
                     + (postgres ? KeyRange.rowsOf(c, table.quoted()) : table.quoted()))) {
            while (rs.next()) {
                List<String> values = new ArrayList<>(cols.size());
                for (int i = 0; i < cols.size(); i++) {
                    values.add(bits(cols.get(i).type(), rs.getString(i + 1)));
                }
                List<String> k = key.isEmpty() ? values : key.stream().map(n -> values.get(indexOf(cols, n))).toList();
                rows.merge(k, new Row(values, 1), (a, b) -> new Row(a.values(), a.count() + b.count()));
            }
        }
        return rows;
    }

    private static int indexOf(List<Col> cols, String name) {
        for (int i = 0; i < cols.size(); i++) {
            if (cols.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("no column " + name);
    }

    /** The SQL that reads a column as its canonical text on either side. */
    static String canonical(DuckDbType type, String c, boolean postgres) {
        // On the primary a value as its output function prints it (a char(n) keeps its padding, which a cast to text drops).
        String text = postgres ? c : "CAST(" + c + " AS VARCHAR)";
        String infinite = postgres ? c + "::text" : text;
        return switch (type.kind()) {
            case BOOLEAN -> postgres ? c + "::text" : text;
            case BLOB -> postgres ? "encode(" + c + ", 'hex')" : "lower(hex(" + c + "))";
            case DATE -> postgres ? "CASE WHEN isfinite(" + c + ") THEN (" + c + " - DATE '1970-01-01')::text ELSE " + infinite + " END"
                    : "CASE WHEN isfinite(" + c + ") THEN CAST(" + c + " - DATE '1970-01-01' AS VARCHAR) ELSE " + infinite + " END";
            case TIMESTAMP, TIMESTAMPTZ -> postgres
                    ? "CASE WHEN isfinite(" + c + ") THEN trunc(extract(epoch from " + c + ") * 1000000)::text ELSE " + infinite + " END"
                    : "CASE WHEN isfinite(" + c + ") THEN CAST(epoch_us(" + c + ") AS VARCHAR) ELSE " + infinite + " END";
            case INTERVAL -> postgres
                    ? "CASE WHEN isfinite(" + c + ") THEN (extract(year from " + c + ") * 12 + extract(month from " + c
                    + "))::bigint::text || ':' || extract(day from " + c + ")::bigint::text || ':' || (extract(hour from " + c
                    + ") * 3600000000 + extract(minute from " + c + ") * 60000000 + extract(microseconds from " + c
                    + "))::bigint::text ELSE " + infinite + " END"
                    : "CAST(datepart('year', " + c + ") * 12 + datepart('month', " + c + ") AS VARCHAR) || ':' || CAST(datepart('day', "
                    + c + ") AS VARCHAR) || ':' || CAST(CAST(datepart('hour', " + c + ") AS BIGINT) * 3600000000 + CAST(datepart('minute', "
                    + c + ") AS BIGINT) * 60000000 + datepart('microseconds', " + c + ") AS VARCHAR)";
            default -> text;
        };
    }

    /** A float's text as its IEEE bits (each side prints NaN, infinities and exponents its own way); other text as is. */
    static String bits(DuckDbType type, String text) {
        if (text == null || (type.kind() != DuckDbType.Kind.REAL && type.kind() != DuckDbType.Kind.DOUBLE)) {
            return text;
        }
        String t = switch (text) {
            case "nan", "-nan" -> "NaN";
            case "inf" -> "Infinity";
            case "-inf" -> "-Infinity";
            default -> text;
        };
        return type.kind() == DuckDbType.Kind.REAL ? Integer.toHexString(Float.floatToIntBits(Float.parseFloat(t)))
                : Long.toHexString(Double.doubleToLongBits(Double.parseDouble(t)));
    }

    /** The first column that differs, described; null when equal. Text the primary reads back as its own value is equal. */
    private static String differs(Connection pg, List<Col> cols, Row p, Row f) throws SQLException {
        if (p.count() != f.count()) {
            return p.count() + " such rows on the primary, " + f.count() + " on the follower";
        }
        for (int i = 0; i < cols.size(); i++) {
            String a = p.values().get(i);
            String b = f.values().get(i);
            if (a == null ? b == null : a.equals(b)) {
                continue;
            }
            if (a != null && b != null && cols.get(i).type().kind() == DuckDbType.Kind.VARCHAR && readsAs(pg, cols.get(i).pgType(), b, a)) {
                continue;
            }
            return "column " + cols.get(i).name() + " (" + cols.get(i).pgType() + ") is " + Verifier.abbreviate(a) + " on the primary, "
                    + Verifier.abbreviate(b) + " on the follower";
        }
        return null;
    }

    private static boolean readsAs(Connection pg, String pgType, String text, String expected) throws SQLException {
        try (PreparedStatement ps = pg.prepareStatement("SELECT (?::" + pgType + ")::text")) {
            ps.setString(1, text);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && expected.equals(rs.getString(1));
            }
        } catch (SQLException e) {
            if (!pg.getAutoCommit()) {
                pg.rollback();
            }
            return false; // not a value of the type: it differs
        }
    }

}
