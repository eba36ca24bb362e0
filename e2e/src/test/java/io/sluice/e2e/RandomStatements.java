package io.sluice.e2e;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The statements of {@link RandomWorkload}, each picked from the primary's catalog as it is (read on the first session,
 * inside its open transaction): a table to make, or one of the workload's tables and what to do with it — rows written,
 * columns, keys, names, partitions, parents and persistence changed — or the workload's types altered. Null where what a
 * statement would work on is not there. Draws from the workload's own {@link Random}, so a seed gives one run.
 */
final class RandomStatements {

    /** Column types the tables are made of: built-in ones and the workload's own enum, domain and composite. */
    private static final List<String> TYPES = List.of("integer", "bigint", "text", "numeric(12,2)", "jsonb", "json",
            "timestamp with time zone", "date", "bytea", "boolean", "rnd.mood", "rnd.mood[]", "rnd.dm", "rnd.pair",
            "point", "integer[]", "character varying(20)", "interval", "real");

    private final Random random;
    private final RandomValues values;
    private final Connection c;
    private int made;
    private int labels;

    /** {@code primary}: the first session, whose catalog the statements are picked from. */
    RandomStatements(Random random, Connection primary) {
        this.random = random;
        this.values = new RandomValues(random);
        this.c = primary;
    }

    /** A statement, or null when what it would work on is not there. */
    String next() throws SQLException {
        List<String> tables = tables();
        if (tables.isEmpty() || random.nextInt(12) == 0) {
            return create();
        }
        String t = tables.get(random.nextInt(tables.size()));
        int op = random.nextInt(100);
        if (op < 30) {
            return insert(t, false);
        } else if (op < 42) {
            return update(t);
        } else if (op < 50) {
            return "DELETE FROM " + t + " WHERE ctid IN (SELECT ctid FROM " + t + " ORDER BY random() LIMIT " + (1 + random.nextInt(3)) + ")";
        }
        List<String[]> cols = columns(t);
        String col = cols.isEmpty() ? null : cols.get(random.nextInt(cols.size()))[0];
        return switch (op) {
            case 50, 51, 52, 53, 54 -> "ALTER TABLE " + t + " ADD COLUMN c" + (++made) + " " + pick()
                    + (random.nextBoolean() ? "" : " DEFAULT " + values.literal(TYPES.get(random.nextInt(4)), false));
            case 55, 56, 57 -> "ALTER TABLE " + t + " ADD COLUMN c" + (++made) + " integer DEFAULT " + random.nextInt(100)
                    + (random.nextBoolean() ? " NOT NULL" : "");
            case 58, 59, 60 -> col == null ? null : "ALTER TABLE " + t + " DROP COLUMN " + col;
            case 61, 62, 63 -> col == null ? null : "ALTER TABLE " + t + " RENAME COLUMN " + col + " TO r" + (++made);
            case 64, 65, 66 -> col == null ? null : "ALTER TABLE " + t + " ALTER COLUMN " + col + " TYPE "
                    + oneOf("text", "bigint", "numeric", "character varying(40)") + " USING " + col + "::text::"
                    + oneOf("text", "bigint", "numeric", "character varying(40)");
            case 67, 68 -> col == null ? null : "ALTER TABLE " + t + " ALTER COLUMN " + col
                    + oneOf(" SET NOT NULL", " DROP NOT NULL", " SET DEFAULT 7", " DROP DEFAULT");
            case 69, 70 -> "ALTER TABLE " + t + " RENAME TO t" + (++made);
            case 71, 72 -> "ALTER TABLE " + t + " SET SCHEMA " + (t.startsWith("rnd.") ? "rnd2" : "rnd");
            case 73, 74 -> "TRUNCATE " + t;
            case 75 -> "DROP TABLE " + t;
            case 76, 77 -> "ALTER TABLE " + t + " REPLICA IDENTITY " + oneOf("FULL", "DEFAULT");
            case 78 -> "ALTER TABLE " + t + " ADD PRIMARY KEY (" + (col == null ? "id" : col) + ")";
            case 79, 80 -> "ALTER TYPE rnd.mood ADD VALUE 'm" + (labels += 2) + "'"
                    + (random.nextBoolean() ? "" : " BEFORE 'm" + random.nextInt(2) + "'");
            case 81, 82 -> renameLabel();
            case 83 -> "ALTER TYPE rnd.pair ADD ATTRIBUTE a" + (++made) + " " + oneOf("text", "integer", "date") + " CASCADE";
            case 84 -> dropAttribute();
            case 85, 86 -> partitioned();
            case 87, 88 -> detachOrAttach();
            case 89 -> "ALTER TABLE " + t + " ADD COLUMN g" + (++made) + " integer GENERATED ALWAYS AS (id * 2) STORED";
            // Loaded unlogged and made logged again, as a bulk load does: an unlogged table's rows are not replicated
            // (as by PostgreSQL's own logical replication), so a run that left one unlogged would compare what cannot equal.
            case 90 -> "ALTER TABLE " + t + " SET UNLOGGED; " + Objects.requireNonNullElse(insert(t, false), "SELECT 1")
                    + "; ALTER TABLE " + t + " SET LOGGED";
            case 91 -> "CREATE TABLE " + (t.startsWith("rnd.") ? "rnd.i" : "rnd2.i") + (++made) + " (extra text) INHERITS (" + t + ")";
            case 92 -> noInherit();
            case 93 -> "ALTER TABLE " + t + " ADD COLUMN v" + (++made) + " " + oneOf("double precision DEFAULT random()",
                    "timestamp with time zone DEFAULT clock_timestamp()", "integer DEFAULT (random() * 100)::integer");
            case 94 -> upsert(t);
            case 95 -> "CREATE TABLE " + (t.startsWith("rnd.") ? "rnd.a" : "rnd2.a") + (++made) + " AS SELECT * FROM " + t;
            case 96, 97 -> col == null ? null : "ALTER TABLE " + t + " ALTER COLUMN " + col + " TYPE "
                    + oneOf("text", "bigint", "numeric", "character varying(40)", "double precision"); // by the type's cast
            case 98 -> bulkInsert(t);
            case 99 -> switch (random.nextInt(5)) {
                case 0 -> "UPDATE " + t + " SET id = id + 100000 WHERE ctid IN (SELECT ctid FROM " + t + " ORDER BY random() LIMIT 2)";
                case 1 -> "ALTER TABLE " + t + " DROP CONSTRAINT IF EXISTS " + t.substring(t.indexOf('.') + 1) + "_pkey";
                case 2 -> "ALTER TABLE " + t + " ADD COLUMN n" + (++made) + " integer GENERATED BY DEFAULT AS IDENTITY";
                case 3 -> "CREATE UNIQUE INDEX u" + (++made) + " ON " + t + " (id); ALTER TABLE " + t + " ALTER COLUMN id SET NOT NULL;"
                        + " ALTER TABLE " + t + " REPLICA IDENTITY USING INDEX u" + made;
                default -> "ALTER DOMAIN rnd.dm " + oneOf("DROP CONSTRAINT IF EXISTS dm_bound", "ADD CONSTRAINT dm_bound CHECK (VALUE < 1000000)");
            };
            default -> insert(t, false);
        };
    }

    private String create() {
        String name = (random.nextBoolean() ? "rnd." : "rnd2.") + "t" + (++made);
        StringBuilder sql = new StringBuilder("CREATE TABLE " + name + " (");
        boolean keyed = random.nextInt(3) > 0;
        sql.append(keyed ? "id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "id integer");
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            sql.append(", c").append(++made).append(' ').append(pick());
        }
        sql.append(")");
        return keyed ? sql.toString() : sql + "; ALTER TABLE " + name + " REPLICA IDENTITY FULL";
    }

    /** Rows for {@code t}; {@code noComposite}: NULL for the composite (the second session's, {@link RandomValues}). */
    String insert(String t, boolean noComposite) throws SQLException {
        List<String[]> cols = columns(t);
        if (cols.isEmpty()) {
            return null;
        }
        int count = 1 + random.nextInt(5);
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            rows.add("(" + String.join(", ", cols.stream().map(col -> values.literal(col[1], noComposite)).toList()) + ")");
        }
        return "INSERT INTO " + t + " (" + String.join(", ", cols.stream().map(col -> col[0]).toList()) + ") VALUES "
                + String.join(", ", rows);
    }

    /** Thousands of rows in one statement: a transaction larger than the primary's decoding memory, streamed in progress. */
    private String bulkInsert(String t) throws SQLException {
        List<String[]> cols = columns(t);
        if (cols.isEmpty()) {
            return null;
        }
        return "INSERT INTO " + t + " (" + String.join(", ", cols.stream().map(col -> col[0]).toList()) + ") SELECT "
                + String.join(", ", cols.stream().map(col -> values.literal(col[1], false)).toList())
                + " FROM generate_series(1, " + (1000 + random.nextInt(3000)) + ")";
    }

    private String update(String t) throws SQLException {
        List<String[]> cols = columns(t);
        if (cols.isEmpty()) {
            return null;
        }
        String[] col = cols.get(random.nextInt(cols.size()));
        return "UPDATE " + t + " SET " + col[0] + " = " + values.literal(col[1], false) + " WHERE ctid IN (SELECT ctid FROM " + t
                + " ORDER BY random() LIMIT " + (1 + random.nextInt(3)) + ")";
    }

    private String upsert(String t) throws SQLException {
        String insert = insert(t, false);
        List<String[]> cols = columns(t);
        if (insert == null || cols.size() < 2) {
            return null;
        }
        String[] col = cols.get(1 + random.nextInt(cols.size() - 1));
        return insert + " ON CONFLICT (id) DO UPDATE SET " + col[0] + " = EXCLUDED." + col[0];
    }

    private String noInherit() throws SQLException {
        List<String> links = query("SELECT c.oid::regclass::text || ' ' || p.oid::regclass::text FROM pg_inherits i"
                + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
                + " WHERE p.relkind = 'r' AND c.relkind = 'r' ORDER BY 1");
        if (links.isEmpty()) {
            return null;
        }
        String[] cp = links.get(random.nextInt(links.size())).split(" ");
        return "ALTER TABLE " + cp[0] + " NO INHERIT " + cp[1];
    }

    private String renameLabel() throws SQLException {
        List<String> all = query("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'rnd.mood'::regtype ORDER BY 1");
        return "ALTER TYPE rnd.mood RENAME VALUE '" + all.get(random.nextInt(all.size())) + "' TO 'm" + (labels += 2) + "x'";
    }

    private String dropAttribute() throws SQLException {
        List<String> attrs = query("SELECT a.attname::text FROM pg_attribute a JOIN pg_type y ON y.typrelid = a.attrelid"
                + " WHERE y.oid = 'rnd.pair'::regtype AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE 'a%'");
        return attrs.isEmpty() ? null : "ALTER TYPE rnd.pair DROP ATTRIBUTE " + attrs.get(random.nextInt(attrs.size())) + " CASCADE";
    }

    private String partitioned() {
        String name = "rnd.p" + (++made);
        return "CREATE TABLE " + name + " (id integer NOT NULL, v text, m rnd.mood, PRIMARY KEY (id)) PARTITION BY RANGE (id);"
                + " CREATE TABLE " + name + "_a PARTITION OF " + name + " FOR VALUES FROM (MINVALUE) TO (1000);"
                + " CREATE TABLE " + name + "_b PARTITION OF " + name + " FOR VALUES FROM (1000) TO (MAXVALUE)";
    }

    private String detachOrAttach() throws SQLException {
        List<String> attached = query("SELECT p.oid::regclass::text || ' ' || c.oid::regclass::text FROM pg_inherits i"
                + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
                + " WHERE p.relkind = 'p' AND c.relname LIKE '%\\_b' ORDER BY 1");
        if (!attached.isEmpty() && random.nextBoolean()) {
            String[] pc = attached.get(random.nextInt(attached.size())).split(" ");
            return "ALTER TABLE " + pc[0] + " DETACH PARTITION " + pc[1];
        }
        List<String> loose = query("SELECT c.oid::regclass::text FROM pg_class c WHERE c.relname LIKE 'p%\\_b' AND NOT c.relispartition"
                + " AND c.relkind = 'r' ORDER BY 1");
        if (loose.isEmpty()) {
            return null;
        }
        String child = loose.get(random.nextInt(loose.size()));
        String parent = child.substring(0, child.length() - 2);
        return "DELETE FROM " + child + " WHERE id < 1000; ALTER TABLE " + parent + " ATTACH PARTITION " + child
                + " FOR VALUES FROM (1000) TO (MAXVALUE)";
    }

    /** Every table of the workload, partitions as their own tables too. */
    List<String> tables() throws SQLException {
        return query("SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname IN ('rnd', 'rnd2') AND c.relkind IN ('r', 'p') ORDER BY 1");
    }

    /** A table's columns a statement may write: name and type; not generated, not an identity. */
    private List<String[]> columns(String t) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT quote_ident(attname), format_type(atttypid, atttypmod)"
                + " FROM pg_attribute WHERE attrelid = '" + t + "'::regclass AND attnum > 0 AND NOT attisdropped"
                + " AND attgenerated = '' AND attidentity = '' ORDER BY attnum")) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    private List<String> query(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private String pick() {
        return TYPES.get(random.nextInt(TYPES.size()));
    }

    private String oneOf(String... options) {
        return options[random.nextInt(options.length)];
    }
}
