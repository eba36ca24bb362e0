package io.sluice.applier.internal;

import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * How an update or a delete on a PostgreSQL follower compares a column's value with the stream's, where the column's
 * {@code =} does not serve: a type with no equality (json, xml, point, arrays of them) or one whose equality is not
 * identity (two boxes, circles or polygons of one area are "equal") is compared by its text, as the stream carries it;
 * a composite type holding such a type (its {@code =} is its attributes', and refuses) by the follower's text of both
 * sides, the stream's value cast to the column's type first, so that both are printed by one session; a domain by its
 * base type, since PostgreSQL resolves no {@code =} for a domain over an enum. Read from the follower's catalog.
 */
record ColumnEquality(Kind kind, String baseType) {

    enum Kind {
        /** The column's text against the stream's text. */
        TEXT,
        /** The column's text against the text of the stream's value cast to the column's type. */
        TEXT_OF_CAST,
        /** Both sides as {@link #baseType}. */
        BASE_TYPE
    }

    /** Built-in types compared by their text: no equality operator, or one that compares less than the value. */
    private static final Set<String> BY_TEXT = Set.of("json", "xml", "point", "box", "circle", "polygon", "path", "line", "lseg");

    /** The columns of the follower's table that need more than {@code =}, by name; the others are absent. */
    static Map<String, ColumnEquality> read(Connection c, TableId table) throws SQLException {
        Map<String, ColumnEquality> out = new HashMap<>();
        // b: each column's type down its domains; r: every type a column's value holds, through domains, arrays and
        // composites' attributes, and whether it is inside a composite.
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE cols AS (
                    SELECT a.attname, a.atttypid
                      FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                     WHERE n.nspname = ? AND k.relname = ? AND a.attnum > 0 AND NOT a.attisdropped),
                b(attname, typ, depth) AS (
                    SELECT attname, atttypid, 0 FROM cols
                    UNION ALL
                    SELECT b.attname, t.typbasetype, b.depth + 1 FROM b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd'),
                r(attname, typ, inside) AS (
                    SELECT attname, atttypid, false FROM cols
                    UNION
                    SELECT r.attname, x.typ, r.inside OR x.attribute
                      FROM r JOIN pg_type t ON t.oid = r.typ
                     CROSS JOIN LATERAL (SELECT t.typbasetype, false WHERE t.typtype = 'd'
                                         UNION ALL SELECT t.typelem, false WHERE t.typcategory = 'A'
                                         UNION ALL SELECT ca.atttypid, true FROM pg_attribute ca
                                          WHERE t.typtype = 'c' AND ca.attrelid = t.typrelid AND ca.attnum > 0
                                            AND NOT ca.attisdropped) x(typ, attribute))
                SELECT DISTINCT ON (b.attname) b.attname, b.depth > 0, format_type(b.typ, NULL),
                       coalesce(e.typname, t.typname), coalesce(e.typnamespace, t.typnamespace) = 'pg_catalog'::regnamespace,
                       EXISTS (SELECT 1 FROM r JOIN pg_type rt ON rt.oid = r.typ
                                WHERE r.attname = b.attname AND r.inside AND rt.typnamespace = 'pg_catalog'::regnamespace
                                  AND rt.typname = ANY (?))
                  FROM b JOIN pg_type t ON t.oid = b.typ
                  LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
                 ORDER BY b.attname, b.depth DESC""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            ps.setArray(3, c.createArrayOf("text", BY_TEXT.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String base = rs.getBoolean(2) ? UnnestStatements.castType(rs.getString(3)) : null;
                    if (rs.getBoolean(5) && BY_TEXT.contains(rs.getString(4))) {
                        out.put(rs.getString(1), new ColumnEquality(Kind.TEXT, null));
                    } else if (rs.getBoolean(6)) {
                        out.put(rs.getString(1), new ColumnEquality(Kind.TEXT_OF_CAST, null));
                    } else if (base != null) {
                        out.put(rs.getString(1), new ColumnEquality(Kind.BASE_TYPE, base));
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code column operator value}: the column quoted, {@code value} a parameter or a column of an {@code unnest},
     * {@code castType} the column's cast type ({@link UnnestStatements#castType}) or null. {@code eq} may be null: {@code =}
     * serves the column.
     */
    static String condition(ColumnEquality eq, String column, String operator, String value, String castType) {
        String cast = castType == null ? value : value + "::" + castType;
        if (eq == null) {
            return column + " " + operator + " " + cast;
        }
        return switch (eq.kind) {
            case TEXT -> column + "::text " + operator + " " + value;
            case TEXT_OF_CAST -> column + "::text " + operator + " (" + cast + ")::text";
            case BASE_TYPE -> column + "::" + eq.baseType + " " + operator + " " + value + "::" + eq.baseType;
        };
    }
}
