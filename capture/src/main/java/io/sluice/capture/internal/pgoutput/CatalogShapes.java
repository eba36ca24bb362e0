package io.sluice.capture.internal.pgoutput;

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
import java.util.List;

/**
 * A table's shape as the catalog holds it, read by the table's name — for the snapshot, and for a
 * table announced before pgoutput describes it — with the columns pgoutput sends and the same key
 * rule as for a Relation message ({@link RelationShapes}). Stateless.
 */
final class CatalogShapes {

    private static final String TABLE = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, c.relreplident, c.oid::int4,
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

    /** Generated columns of a table. */
    private static final String GENERATED = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                   a.attgenerated = 's'
              FROM pg_attribute a
              JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = ?::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''
             ORDER BY a.attnum""";

    private CatalogShapes() {
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
        int oid = 0;
        try (PreparedStatement ps = c.prepareStatement(TABLE)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    identity = TableShape.identity(rs.getString(4).charAt(0));
                    oid = rs.getInt(5);
                    boolean isKey = switch (identity) {
                        case INDEX -> rs.getBoolean(7);
                        case NOTHING -> false;
                        default -> rs.getBoolean(6);
                    };
                    Array labels = rs.getArray(8);
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
        return new TableShape(table, columns, key, identity, generated(c, oid), UserTypes.read(c, oid));
    }

    static List<DdlMessage.Generated> generated(Connection c, int relationOid) throws SQLException {
        List<DdlMessage.Generated> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(GENERATED)) {
            ps.setInt(1, relationOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new DdlMessage.Generated(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4),
                            rs.getBoolean(5)));
                }
            }
        }
        return out;
    }
}
