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
 * a domain by its base type, since PostgreSQL resolves no {@code =} for a domain over an enum. Read from the follower's
 * catalog.
 */
record ColumnEquality(String baseType, boolean byText) {

    /** Built-in types compared by their text: no equality operator, or one that compares less than the value. */
    private static final Set<String> BY_TEXT = Set.of("json", "xml", "point", "box", "circle", "polygon", "path", "line", "lseg");

    /** The columns of the follower's table that need more than {@code =}, by name; the others are absent. */
    static Map<String, ColumnEquality> read(Connection c, TableId table) throws SQLException {
        Map<String, ColumnEquality> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE b(attname, typ, depth) AS (
                    SELECT a.attname, a.atttypid, 0
                      FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                     WHERE n.nspname = ? AND k.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
                    UNION ALL
                    SELECT b.attname, t.typbasetype, b.depth + 1 FROM b JOIN pg_type t ON t.oid = b.typ WHERE t.typtype = 'd')
                SELECT DISTINCT ON (b.attname) b.attname, b.depth > 0, format_type(b.typ, NULL),
                       coalesce(e.typname, t.typname), coalesce(e.typnamespace, t.typnamespace) = 'pg_catalog'::regnamespace
                  FROM b JOIN pg_type t ON t.oid = b.typ
                  LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
                 ORDER BY b.attname, b.depth DESC""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean byText = rs.getBoolean(5) && BY_TEXT.contains(rs.getString(4));
                    String base = rs.getBoolean(2) ? UnnestStatements.castType(rs.getString(3)) : null;
                    if (byText || base != null) {
                        out.put(rs.getString(1), new ColumnEquality(base, byText));
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
        if (eq != null && eq.byText) {
            return column + "::text " + operator + " " + value;
        }
        if (eq != null && eq.baseType != null) {
            return column + "::" + eq.baseType + " " + operator + " " + value + "::" + eq.baseType;
        }
        return column + " " + operator + " " + (castType == null ? value : value + "::" + castType);
    }
}
