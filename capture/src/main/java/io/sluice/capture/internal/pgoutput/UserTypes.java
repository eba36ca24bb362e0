package io.sluice.capture.internal.pgoutput;

import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The types of its own a table's columns use, read from the primary's catalog as DDL type
 * definitions a follower can create them from: domains, free-standing composite types, range
 * types, and enums reached through those — through arrays, domain bases, composite attributes,
 * range subtypes and multiranges, each after what it depends on.
 */
final class UserTypes {

    private UserTypes() {
    }

    private static final String QUERY = """
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
                                       AND r.rngmultitypid = t.oid) x(dep)
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

    /** {@link #QUERY} for the server: multirange types arrived in PostgreSQL 14. */
    private static String query(Connection c) throws SQLException {
        return QUERY.replace("RNGMULTITYPID", c.getMetaData().getDatabaseMajorVersion() >= 14 ? "rngmultitypid" : "NULL::oid");
    }

    /** The types of the relation {@code relationOid}, or of {@code table} by name when the oid is 0. */
    static List<DdlMessage.TypeDefinition> read(Connection c, int relationOid, TableId table) throws SQLException {
        List<DdlMessage.TypeDefinition> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(query(c))) {
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
}
