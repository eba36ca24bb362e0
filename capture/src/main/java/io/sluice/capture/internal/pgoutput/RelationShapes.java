package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.capture.internal.pgoutput.PgOutputMessage.Relation;
import io.sluice.capture.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns what pgoutput says of a table (a Relation message: column names, type oids and modifiers,
 * key flags, replica identity) into its {@link TableShape}, with each type named exactly as
 * {@code format_type} names it and enum labels, read from the primary's catalog once per type.
 * What the message does not carry — nullability and, under REPLICA IDENTITY FULL, the primary
 * key — is read from the catalog's current state. Not thread-safe: the engine's thread.
 */
final class RelationShapes implements AutoCloseable {

    private static final String TYPE = """
            SELECT format_type(t.oid, ?),
                   (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                     WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END)
              FROM pg_type t WHERE t.oid = ?""";
    private static final String COLUMNS = """
            SELECT a.attname, NOT a.attnotnull, coalesce(a.attnum = ANY(pk.indkey), false)
              FROM pg_attribute a
              LEFT JOIN pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped""";

    private static final String TABLE = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, c.relreplident,
                   coalesce(a.attnum = ANY(pk.indkey), false), coalesce(a.attnum = ANY(ri.indkey), false),
                   (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                     WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END)
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
              JOIN pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
              LEFT JOIN pg_index ri ON ri.indrelid = c.oid AND ri.indisreplident
             WHERE n.nspname = ? AND c.relname = ?
             ORDER BY a.attnum""";

    /** Generated columns of a table (relation oid or, when it is 0, schema and name). */
    private static final String GENERATED = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                   a.attgenerated = 's'
              FROM pg_attribute a
              JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = coalesce(nullif(?, 0)::oid, (SELECT c.oid FROM pg_class c JOIN pg_namespace n
                     ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?))
               AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''
             ORDER BY a.attnum""";

    /**
     * The domains and free-standing composite types a table's columns use (relation oid or, when
     * it is 0, schema and name), through array elements, domain bases and composite attributes,
     * each after the types it depends on — and the enums those domains and composites use (an enum
     * column's labels travel in the schema event itself).
     */
    private static final String USER_TYPES = """
            WITH RECURSIVE rel AS (
                SELECT coalesce(nullif(?, 0)::oid, (SELECT c.oid FROM pg_class c JOIN pg_namespace n
                       ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?)) AS oid),
            deps(oid, depth, inside) AS (
                SELECT a.atttypid, 0, false FROM pg_attribute a, rel WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
              UNION ALL
                SELECT x.dep, deps.depth + 1, deps.inside OR t.typtype IN ('d', 'c', 'r', 'm')
                  FROM deps JOIN pg_type t ON t.oid = deps.oid
                  CROSS JOIN LATERAL (SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
                                      UNION ALL SELECT t.typbasetype WHERE t.typtype = 'd'
                                      UNION ALL SELECT a.atttypid FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
                                       WHERE t.typtype = 'c' AND k.oid = t.typrelid AND k.relkind = 'c'
                                         AND a.attnum > 0 AND NOT a.attisdropped
                                      UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE t.typtype = 'r' AND r.rngtypid = t.oid
                                      UNION ALL SELECT r.rngtypid FROM pg_range r WHERE t.typtype = 'm'
                                       AND r.RNGMULTITYPID = t.oid) x(dep)
                 WHERE deps.depth < 16)
            SELECT n.nspname, t.typname, t.typtype::text,
                   CASE WHEN t.typtype = 'r' THEN format_type(rg.rngsubtype, NULL) ELSE format_type(t.typbasetype, t.typtypmod) END,
                   t.typnotnull,
                   ARRAY(SELECT pg_get_constraintdef(con.oid) FROM pg_constraint con
                          WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
                   ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
                            AND NOT a.attisdropped ORDER BY a.attnum),
                   ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = t.typrelid
                            AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
                   ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
                   ARRAY[cn.nspname::text, co.collname::text], ARRAY[ocn.nspname::text, oc.opcname::text],
                   ARRAY[mtn.nspname::text, mt.typname::text]
              FROM (SELECT oid, max(depth) AS depth, bool_or(inside) AS inside FROM deps GROUP BY oid) d
              JOIN pg_type t ON t.oid = d.oid
              JOIN pg_namespace n ON n.oid = t.typnamespace
              LEFT JOIN pg_class k ON k.oid = t.typrelid
              LEFT JOIN pg_range rg ON rg.rngtypid = t.oid
              LEFT JOIN pg_type st ON st.oid = rg.rngsubtype
              LEFT JOIN pg_collation co ON co.oid = rg.rngcollation AND rg.rngcollation <> st.typcollation
              LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
              LEFT JOIN pg_opclass oc ON oc.oid = rg.rngsubopc AND NOT oc.opcdefault
              LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
              LEFT JOIN pg_type mt ON mt.oid = rg.RNGMULTITYPID
              LEFT JOIN pg_namespace mtn ON mtn.oid = mt.typnamespace
             WHERE (t.typtype IN ('d', 'r') OR t.typtype = 'c' AND k.relkind = 'c' OR t.typtype = 'e' AND d.inside)
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             ORDER BY d.depth DESC, n.nspname, t.typname""";

    /** {@link #USER_TYPES} for the server: multirange types arrived in PostgreSQL 14. */
    private static String userTypesQuery(Connection c) throws SQLException {
        return USER_TYPES.replace("RNGMULTITYPID", c.getMetaData().getDatabaseMajorVersion() >= 14 ? "rngmultitypid" : "NULL::oid");
    }

    private record TypeName(String name, List<String> enumLabels) { }

    private record TypeKey(int oid, int modifier) { }

    private final PrimarySession session;
    private final Map<TypeKey, TypeName> types = new HashMap<>();
    private final Map<Integer, TableShape> byOid = new HashMap<>();

    RelationShapes(Supplier<Connection> connections) {
        this.session = new PrimarySession(connections);
    }

    /** Records the shape a Relation message gives and returns it. */
    TableShape define(Relation r) {
        TableId table = new TableId(r.namespace(), r.name());
        ReplicaIdentity identity = TableShape.identity(r.replicaIdentity());
        try {
            Map<String, boolean[]> catalog = columns(r.oid());
            List<Column> columns = new ArrayList<>(r.columns().size());
            List<String> key = new ArrayList<>();
            for (RelationColumn c : r.columns()) {
                TypeName type = type(c.typeOid(), c.typeModifier());
                boolean[] facts = catalog.get(c.name());
                boolean nullable = facts == null || facts[0];
                // Under FULL every column is flagged; the key is then the primary key, if any.
                boolean isKey = identity == ReplicaIdentity.FULL ? facts != null && facts[1] : c.key();
                columns.add(new Column(c.name(), type.name(), nullable, isKey, type.enumLabels()));
                if (isKey) {
                    key.add(c.name());
                }
            }
            TableShape shape = new TableShape(table, columns, key, identity, generated(session.get(), r.oid(), table),
                    userTypes(session.get(), r.oid(), table));
            byOid.put(r.oid(), shape);
            return shape;
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the types of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /**
     * The table's shape as the catalog holds it on {@code c} — inside the snapshot being copied —
     * with the columns pgoutput sends (generated columns are not among them) and the same key
     * rule as for a Relation message.
     */
    static TableShape read(Connection c, TableId table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        ReplicaIdentity identity = ReplicaIdentity.DEFAULT;
        try (PreparedStatement ps = c.prepareStatement(TABLE)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    identity = TableShape.identity(rs.getString(4).charAt(0));
                    boolean isKey = switch (identity) {
                        case INDEX -> rs.getBoolean(6);
                        case NOTHING -> false;
                        default -> rs.getBoolean(5);
                    };
                    Array labels = rs.getArray(7);
                    columns.add(new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), isKey,
                            labels == null ? List.of() : List.of((String[]) labels.getArray())));
                    if (isKey) {
                        key.add(rs.getString(1));
                    }
                }
            }
        }
        if (columns.isEmpty()) {
            throw new SQLException("table " + table + " has no columns to copy, or is not in the catalog");
        }
        return new TableShape(table, columns, key, identity, generated(c, 0, table), userTypes(c, 0, table));
    }

    private static List<DdlMessage.TypeDefinition> userTypes(Connection c, int relationOid, TableId table) throws SQLException {
        List<DdlMessage.TypeDefinition> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(userTypesQuery(c))) {
            ps.setInt(1, relationOid);
            ps.setString(2, table.schema());
            ps.setString(3, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String kind = switch (rs.getString(3)) {
                        case "d" -> "domain";
                        case "e" -> "enum";
                        case "r" -> "range";
                        default -> "composite";
                    };
                    String[] names = (String[]) rs.getArray(7).getArray();
                    String[] types = (String[]) rs.getArray(8).getArray();
                    List<DdlMessage.Attribute> attributes = new ArrayList<>();
                    for (int i = 0; kind.equals("composite") && i < names.length; i++) {
                        attributes.add(new DdlMessage.Attribute(names[i], types[i]));
                    }
                    DdlMessage.RangeParts range = kind.equals("range")
                            ? new DdlMessage.RangeParts(pair(rs, 10), pair(rs, 11), pair(rs, 12)) : null;
                    out.add(new DdlMessage.TypeDefinition(rs.getString(1), rs.getString(2), kind,
                            kind.equals("domain") || kind.equals("range") ? rs.getString(4) : null, rs.getBoolean(5),
                            List.of((String[]) rs.getArray(6).getArray()), attributes,
                            List.of((String[]) rs.getArray(9).getArray()), range));
                }
            }
        }
        return out;
    }

    /** A {@code [schema, name]} column, or empty when it is NULL. */
    private static List<String> pair(ResultSet rs, int column) throws SQLException {
        String[] parts = (String[]) rs.getArray(column).getArray();
        return parts[0] == null ? List.of() : List.of(parts);
    }

    private static List<DdlMessage.Generated> generated(Connection c, int relationOid, TableId table) throws SQLException {
        List<DdlMessage.Generated> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(GENERATED)) {
            ps.setInt(1, relationOid);
            ps.setString(2, table.schema());
            ps.setString(3, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new DdlMessage.Generated(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4),
                            rs.getBoolean(5)));
                }
            }
        }
        return out;
    }

    /** The domains and composite types the table's columns use now (the catalog's current state). */
    List<DdlMessage.TypeDefinition> userTypes(TableId table) {
        try {
            return userTypes(session.get(), 0, table);
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the types of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /**
     * The table's shape as the catalog has it now, if {@code publication} publishes the table (a
     * partition published through its root is not published itself); empty otherwise, as for a
     * table dropped since.
     */
    Optional<TableShape> published(String publication, TableId table) {
        try {
            Connection c = session.get();
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication_tables"
                    + " WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
                ps.setString(1, publication);
                ps.setString(2, table.schema());
                ps.setString(3, table.table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                }
            }
            return Optional.of(read(c, table));
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the shape of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /** The shape last defined for the relation; pgoutput always sends it before the relation's first change. */
    TableShape of(int relationOid) {
        TableShape shape = byOid.get(relationOid);
        if (shape == null) {
            throw new IllegalStateException("pgoutput sent a change of relation " + relationOid + " before its Relation message");
        }
        return shape;
    }

    /** Every relation this session has seen dropped: after a reconnect pgoutput sends them again. */
    void forgetRelations() {
        byOid.clear();
    }

    private TypeName type(int oid, int modifier) throws SQLException {
        TypeKey k = new TypeKey(oid, modifier);
        TypeName known = types.get(k);
        if (known != null) {
            return known;
        }
        try (PreparedStatement ps = session.get().prepareStatement(TYPE)) {
            ps.setInt(1, modifier);
            ps.setInt(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("type oid " + oid + " is not in pg_type (dropped since the change was written?)");
                }
                Array labels = rs.getArray(2);
                TypeName t = new TypeName(rs.getString(1), labels == null ? List.of() : List.of((String[]) labels.getArray()));
                types.put(k, t);
                return t;
            }
        }
    }

    /** Per column: {nullable, in the primary key}. */
    private Map<String, boolean[]> columns(int relationOid) throws SQLException {
        Map<String, boolean[]> out = new HashMap<>();
        try (PreparedStatement ps = session.get().prepareStatement(COLUMNS)) {
            ps.setInt(1, relationOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new boolean[] {rs.getBoolean(2), rs.getBoolean(3)});
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        session.close();
    }
}
