package io.sluice.verify;

import io.sluice.format.Lsn;
import io.sluice.format.SessionSettings;
import io.sluice.format.follower.Watermark;
import io.sluice.verify.KeyRange.Chunk;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * Compares a follower with the primary, table by table, in chunks of primary-key ranges hashed on
 * both sides ({@code md5} of the rows' text in key order), so large tables are never pulled into
 * memory. A differing chunk is narrowed to its differing keys and a few rows are shown.
 *
 * <p>Consistent point: each chunk is hashed on the primary in a REPEATABLE READ snapshot, whose
 * WAL position P is read with it, then on the follower. When the two differ — the chunk may have
 * changed on the primary since the follower applied it — the chunk is compared again from a fresh
 * snapshot once the follower's watermark has passed that snapshot's P (waiting at most
 * {@code wait}), up to {@code retries} times; it is reported only if it still differs. On a quiet
 * primary the first comparison is exact; under load, hot chunks converge as the follower catches
 * up. Tables without a primary key are compared whole, as multisets of rows.
 */
public final class Verifier {

    /** One table's result. */
    public record TableResult(String table, boolean equal, long primaryRows, long followerRows, int chunks,
                              List<String> differences) { }

    /** The whole comparison. */
    public record Report(List<TableResult> tables) {
        public boolean equal() {
            return tables.stream().allMatch(TableResult::equal);
        }
    }

    private final DataSource primary;
    private final DataSource follower;
    private final String source;
    private final int chunkRows;
    private final int retries;
    private final Duration wait;

    public Verifier(DataSource primary, DataSource follower, String source, int chunkRows, int retries, Duration wait) {
        this.primary = primary;
        this.follower = follower;
        this.source = source;
        this.chunkRows = chunkRows;
        this.retries = retries;
        this.wait = wait;
    }

    /** The primary's user tables (schema.table), as capture sees them; the sluice schema excluded. */
    public List<String> tables() throws SQLException {
        return tables(primary);
    }

    /** {@link #tables()} of any primary. */
    public static List<String> tables(DataSource primary) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = primary.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n"
                     + " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog',"
                     + " 'information_schema', 'sluice') AND n.nspname NOT LIKE 'pg_toast%' AND NOT c.relispartition"
                     + " ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public Report verify(List<String> tables) throws SQLException, InterruptedException {
        List<TableResult> results = new ArrayList<>();
        for (String t : tables) {
            results.add(table(t));
        }
        return new Report(results);
    }

    private TableResult table(String name) throws SQLException, InterruptedException {
        KeyRange.Key key = key(primary, name);
        String table = qualified(name);
        List<String> differences = new ArrayList<>();
        long primaryRows = 0;
        long followerRows = 0;
        int chunks = 0;
        boolean followerMissing = false;
        List<Object> lower = null; // exclusive lower bound of the next chunk
        while (true) {
            List<Object> upper = key.isEmpty() ? null : KeyRange.upperBound(primary, table, key, lower, chunkRows);
            KeyRange range = new KeyRange(table, key, lower, upper);
            Chunk p = null;
            Chunk f = null;
            for (int attempt = 0; attempt <= retries; attempt++) {
                Snapshot s = snapshot(range);
                if (attempt > 0) {
                    awaitFollowerPast(s.position);
                }
                p = s.primary;
                try (Connection c = session(follower)) {
                    f = range.hash(c);
                }
                if (p.equals(f)) {
                    break;
                }
            }
            if (!(upper == null && chunks > 0 && p.rows() == 0 && f.rows() == 0)) {
                chunks++; // (an empty range after the last full chunk is not a chunk)
            }
            primaryRows += p.rows();
            followerMissing |= f.rows() < 0;
            followerRows += Math.max(f.rows(), 0);
            if (!p.equals(f)) {
                differences.addAll(narrow(name, range));
            }
            if (upper == null || key.isEmpty()) {
                break;
            }
            lower = upper;
        }
        if (followerMissing) {
            differences.add(0, "the follower has no table " + name);
        }
        return new TableResult(name, differences.isEmpty() && primaryRows == followerRows, primaryRows, followerRows, chunks,
                differences);
    }

    private record Snapshot(Chunk primary, String position) { }

    /** Hashes the chunk on the primary in a snapshot and reads the snapshot's WAL position. */
    private Snapshot snapshot(KeyRange range) throws SQLException {
        String position;
        Chunk chunk;
        try (Connection c = session(primary)) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            chunk = range.hash(c);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                position = rs.getString(1);
            }
            c.commit();
        }
        return new Snapshot(chunk, position);
    }

    private void awaitFollowerPast(String lsn) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Lsn target = Lsn.parse(lsn);
        try (Connection c = follower.getConnection()) {
            while (true) {
                if (past(c, target)) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    return; // compare anyway: an idle primary's position is past its last commit; a real gap shows
                }
                Thread.sleep(20); // polling the watermark at 50 Hz while waiting for the follower
            }
        }
    }

    /**
     * Whether the follower's watermark is at or past {@code target}. An applier starting for the first time
     * makes its bookkeeping one migration after another, and a read between two fails (a column not there
     * yet): not past, then.
     */
    private boolean past(Connection c, Lsn target) throws SQLException {
        try {
            return Watermark.read(c, source).filter(w -> !target.isAfter(w.commitLsn())).isPresent();
        } catch (SQLException e) {
            if (!"42703".equals(e.getSQLState())) {
                throw e;
            }
            return false;
        }
    }

    /** The differing keys of a chunk of table {@code table} (schema.table): each side's (key, row text), compared; a few shown in full. */
    private List<String> narrow(String table, KeyRange range) throws SQLException {
        Map<String, String> p = rows(primary, range);
        Map<String, String> f = rows(follower, range);
        KeyRange.Key key = range.key();
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(p.keySet());
        keys.addAll(f.keySet());
        int shown = 0;
        int total = 0;
        for (String k : keys) {
            String a = p.get(k);
            String b = f.get(k);
            if (!Objects.equals(a, b)) {
                total++;
                if (shown < 5) {
                    shown++;
                    out.add(key.isEmpty()
                            ? table + " " + k + ": " + (a == null ? 0 : a) + " time(s) on the primary, " + (b == null ? 0 : b)
                                    + " on the follower"
                            : table + " " + k + ": primary " + (a == null ? "(no row)" : a) + " / follower "
                                    + (b == null ? "(no row)" : b));
                }
            }
        }
        if (total > shown) {
            out.add(table + ": " + (total - shown) + " more differing row(s) in this chunk");
        }
        if (total == 0) {
            out.add(table + ": a chunk kept changing on the primary while compared (" + (retries + 1) + " attempts)");
        }
        return out;
    }

    private static Map<String, String> rows(DataSource ds, KeyRange range) throws SQLException {
        try (Connection c = session(ds)) {
            return range.rows(c);
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) {
                throw e;
            }
            return Map.of(); // the follower has no such table: every primary row differs
        }
    }

    /**
     * A session that prints values as capture's did ({@link SessionSettings}): a primary's and a
     * follower's own settings (a locale's {@code money}, an {@code IntervalStyle}) would otherwise
     * print equal values differently, and a database's statement timeout cancel a large chunk's hash.
     */
    static Connection session(DataSource ds) throws SQLException {
        Connection c = ds.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute(SessionSettings.sql());
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** The primary-key columns of {@code table} (schema.table) in key order; empty when it has none. */
    static List<String> primaryKey(DataSource primary, String table) throws SQLException {
        return key(primary, table).names();
    }

    /** {@link #primaryKey}, with which of its columns have a collation. */
    static KeyRange.Key key(DataSource primary, String table) throws SQLException {
        List<String> names = new ArrayList<>();
        List<Boolean> collatable = new ArrayList<>();
        try (Connection c = primary.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT a.attname, a.attcollation <> 0 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                        + " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = ?::regclass AND i.indisprimary"
                        + " ORDER BY array_position(i.indkey::smallint[], a.attnum)")) {
            ps.setString(1, qualified(table)); // a name may hold a dot or a quote of its own
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                    collatable.add(rs.getBoolean(2));
                }
            }
        }
        return new KeyRange.Key(names, collatable);
    }

    /** A value for a difference's description: quoted, cut at 60 characters, or NULL. */
    static String abbreviate(String v) {
        return v == null ? "NULL" : v.length() > 60 ? "'" + v.substring(0, 60) + "…'" : "'" + v + "'";
    }

    /** {@code schema.table} as a quoted identifier pair. */
    static String qualified(String name) {
        int dot = name.indexOf('.');
        if (dot <= 0 || dot == name.length() - 1) {
            throw new IllegalArgumentException("table '" + name + "' is not schema.table");
        }
        return quote(name.substring(0, dot)) + "." + quote(name.substring(dot + 1));
    }

    static List<String> quoted(List<String> names) {
        return names.stream().map(Verifier::quote).toList();
    }

    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
