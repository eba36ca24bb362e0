package io.sluice.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * One chunk of a table as the verifier compares it: the rows whose primary key is after
 * {@code lower} and at most {@code upper} (either null for no bound), in key order — or, for a
 * table without a key, the whole table in the order of its rows' text. The same queries run on
 * the primary and the follower, the bounds bound as parameters. Text is ordered byte by byte
 * ({@code COLLATE "C"}), whatever the columns' and databases' collations: a primary and a follower
 * of other locales order the same keys otherwise, and their chunks would hold other rows.
 *
 * @param table the quoted {@code schema.table}
 * @param key the primary-key columns in key order; none when the table has none
 */
record KeyRange(String table, Key key, List<Object> lower, List<Object> upper) {

    /** A chunk's row count and hash; a missing table has -1 rows. */
    record Chunk(long rows, String hash) { }

    /** A table's primary-key columns in key order, and which of them have a collation. */
    record Key(List<String> names, List<Boolean> collatable) {
        Key {
            names = List.copyOf(names);
            collatable = List.copyOf(collatable);
        }

        boolean isEmpty() {
            return names.isEmpty();
        }

        /** The columns as the key's order compares them: text byte by byte. */
        String ordered() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                out.add(Verifier.quote(names.get(i)) + (collatable.get(i) ? " COLLATE \"C\"" : ""));
            }
            return String.join(", ", out);
        }
    }

    /**
     * The table ({@code table} quoted) as a query of its own rows names it on {@code c}: {@code ONLY} the table — the
     * rows of tables inheriting from it are theirs, compared on their own — unless it is partitioned there, whose rows
     * are its partitions'. A table {@code c} lacks is named as it is: the query's error says so.
     */
    static String rowsOf(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(?)")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() || rs.getBoolean(1) ? table : "ONLY " + table;
            }
        }
    }

    /** The key of the row {@code chunkRows} after {@code lower} on the primary, or null when fewer rows remain. */
    static List<Object> upperBound(DataSource primary, String table, Key key, List<Object> lower, int chunkRows)
            throws SQLException {
        try (Connection c = Verifier.session(primary);
             PreparedStatement ps = c.prepareStatement("SELECT " + String.join(", ", Verifier.quoted(key.names())) + " FROM "
                     + rowsOf(c, table) + " t" + where(key, lower, null) + " ORDER BY " + key.ordered() + " OFFSET "
                     + (chunkRows - 1) + " LIMIT 1")) {
            bind(ps, lower, null);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                List<Object> out = new ArrayList<>();
                for (int i = 1; i <= key.names().size(); i++) {
                    out.add(rs.getObject(i));
                }
                return out;
            }
        }
    }

    /** The rows' count and the {@code md5} of their text in order. */
    Chunk hash(Connection c) throws SQLException {
        String sql = "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY " + order() + ")), '-') FROM "
                + rowsOf(c, table) + " t" + where(key, lower, upper);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, lower, upper);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Chunk(rs.getLong(1), rs.getString(2));
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return new Chunk(-1, "table missing: " + e.getMessage());
            }
            throw e;
        }
    }

    /**
     * Each row's text by its key ({@code id=7, region=eu}); for a table without a key, each distinct
     * row's text ({@code row (…)}) with how many times it occurs.
     */
    Map<String, String> rows(Connection c) throws SQLException {
        String keyText = key.isEmpty() ? "t::text" : "concat_ws(', ', " + String.join(", ",
                key.names().stream().map(k -> "'" + k.replace("'", "''") + "=' || " + Verifier.quote(k)).toList()) + ")";
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + keyText + ", t::text FROM " + rowsOf(c, table) + " t"
                + where(key, lower, upper) + " ORDER BY " + order())) {
            bind(ps, lower, upper);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (key.isEmpty()) {
                        out.merge("row " + rs.getString(2), "1", (a, b) -> String.valueOf(Long.parseLong(a) + 1));
                    } else {
                        out.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
        }
        return out;
    }

    private String order() {
        return key.isEmpty() ? "t::text COLLATE \"C\"" : key.ordered();
    }

    private static String where(Key key, List<Object> lower, List<Object> upper) {
        List<String> parts = new ArrayList<>();
        String tuple = "(" + key.ordered() + ")";
        String params = "(" + String.join(", ", key.names().stream().map(k -> "?").toList()) + ")";
        if (lower != null) {
            parts.add(tuple + " > " + params);
        }
        if (upper != null) {
            parts.add(tuple + " <= " + params);
        }
        return parts.isEmpty() ? "" : " WHERE " + String.join(" AND ", parts);
    }

    private static void bind(PreparedStatement ps, List<Object> lower, List<Object> upper) throws SQLException {
        int i = 1;
        for (List<Object> bound : Arrays.asList(lower, upper)) {
            if (bound != null) {
                for (Object v : bound) {
                    ps.setObject(i++, v);
                }
            }
        }
    }
}
