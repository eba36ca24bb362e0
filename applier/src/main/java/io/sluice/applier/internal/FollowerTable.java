package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statements that change a follower table's columns, each built in one place for schema
 * events ({@link SchemaSync}) and DDL messages ({@link DdlSync}) alike, and the follower's own view
 * of a table's columns. A failed statement stops the applier naming the source LSN, table, column
 * and type. Stateless.
 */
final class FollowerTable {

    private static final Logger log = LoggerFactory.getLogger(FollowerTable.class);

    private FollowerTable() {
    }

    /**
     * A column as the follower's catalog has it.
     *
     * @param generated  PostgreSQL's {@code attgenerated}: empty for a plain column
     * @param expression the generation expression (a generated column) or the default (a plain one), or null
     * @param collation  {@code [schema, name]} of its collation where not its type's; empty otherwise
     */
    record Existing(String type, boolean nullable, String generated, String expression, List<String> collation) {
        boolean isGenerated() {
            return !generated.isEmpty();
        }
    }

    /**
     * Drops a column of the table only: where a follower table inherits it, the primary says in the inheriting table's
     * own message whether it dropped it there too.
     */
    static void dropColumn(Statement st, ChangeEvent.SchemaChange e, String name) throws SQLException {
        execute(st, "ALTER TABLE ONLY " + e.table().quoted() + " DROP COLUMN " + TableId.quote(name), e, name);
        log.info("dropped column {}.{} on the follower (source LSN {})", e.table(), name, e.header().commitLsn());
    }

    /**
     * Adds a column; {@code existingRows}, when given, is the value the rows already there take
     * (a constant default, dropped again at once: new rows bring their own values).
     */
    static void addColumn(Statement st, ChangeEvent.SchemaChange e, Column col, String existingRows)
            throws SQLException {
        String table = e.table().quoted();
        String column = TableId.quote(col.name());
        String value = existingRows == null ? "" : " DEFAULT " + literal(existingRows) + "::" + col.type();
        execute(st, "ALTER TABLE " + table + " ADD COLUMN " + column + " " + col.type() + value
                + (col.nullable() ? "" : " NOT NULL"), e, col.name());
        if (existingRows != null) {
            execute(st, "ALTER TABLE " + table + " ALTER COLUMN " + column + " DROP DEFAULT", e, col.name());
        }
        log.info("added column {}.{} {} on the follower (source LSN {}){}", e.table(), col.name(), col.type(),
                e.header().commitLsn(), existingRows == null ? "" : " (existing rows: " + existingRows + ")");
    }

    static void retypeColumn(Statement st, ChangeEvent.SchemaChange e, String name, String from, String to, boolean empty)
            throws SQLException {
        // An empty table has no values to convert: no cast is needed, and there may be none between the types.
        execute(st, "ALTER TABLE " + e.table().quoted() + " ALTER COLUMN " + TableId.quote(name) + " TYPE " + to
                + (empty ? " USING NULL" : ""), e, name);
        log.info("changed column {}.{} from {} to {} on the follower (source LSN {})", e.table(), name, from, to,
                e.header().commitLsn());
    }

    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Makes the follower's column nullable or NOT NULL, as the primary's is. */
    static void setNullable(Statement st, ChangeEvent.SchemaChange e, String name, boolean nullable) throws SQLException {
        execute(st, "ALTER TABLE " + e.table().quoted() + " ALTER COLUMN " + TableId.quote(name)
                + (nullable ? " DROP NOT NULL" : " SET NOT NULL"), e, name);
    }

    static void execute(Statement st, String sql, ChangeEvent.SchemaChange e, String column) throws SQLException {
        try {
            st.execute(sql);
        } catch (SQLException ex) {
            String where = "table " + e.table() + (column == null ? "" : ", column " + column
                    + e.columns().stream().filter(c -> c.name().equals(column)).findFirst().map(c -> " of type " + c.type()).orElse(""));
            throw new ApplierException("the follower cannot take the shape change at source LSN " + e.header().commitLsn()
                    + " (" + where + "): " + ex.getMessage() + " [SQLSTATE " + ex.getSQLState() + "; statement: " + sql + "]",
                    false, ex);
        }
    }

    /** Runs one statement of a schema change, naming in its error what it was for. */
    @FunctionalInterface
    interface Run {
        void execute(Statement st, String sql) throws SQLException;
    }

    /** Whether the follower has the table. */
    static boolean exists(Connection c, TableId table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Drops every column of the follower's table but the generated ones in {@code keep}, generated ones first (they
     * read the others): the primary's table is left with no column pgoutput sends, and so is the follower's, its rows
     * kept, rows of no values.
     */
    static void dropEveryColumn(Statement st, TableId table, Map<String, Existing> existing, java.util.Set<String> keep,
                                io.sluice.format.Lsn lsn) throws SQLException {
        List<String> order = new java.util.ArrayList<>();
        existing.forEach((name, col) -> {
            if (col.isGenerated() && !keep.contains(name)) {
                order.add(name);
            }
        });
        existing.forEach((name, col) -> {
            if (!col.isGenerated()) {
                order.add(name);
            }
        });
        for (String name : order) {
            try {
                st.execute("ALTER TABLE ONLY " + table.quoted() + " DROP COLUMN " + TableId.quote(name));
            } catch (SQLException e) {
                throw new ApplierException("follower refused to drop column " + table + "." + name + " (the primary's table has"
                        + " no column left; source LSN " + lsn + "): " + e.getMessage(), false, e);
            }
            log.info("dropped column {}.{} on the follower, the last of the primary's (source LSN {})", table, name, lsn);
        }
    }

    /** Whether the follower's table is partitioned (its owner made it so: the applier creates plain tables). */
    static boolean partitioned(Connection c, TableId table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(?)")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Whether the follower's table holds no row: {@code rowsOf}, the table as a statement on its rows names it. */
    static boolean isEmpty(Connection c, String rowsOf) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM " + rowsOf + ")")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * The follower table's columns by name, in table order; empty when it does not exist.
     */
    static Map<String, Existing> columns(Connection c, TableId table) throws SQLException {
        Map<String, Existing> cols = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'f' ELSE 't' END,
                       a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid),
                       (SELECT ARRAY[cn.nspname::text, co.collname::text] FROM pg_collation co
                          JOIN pg_namespace cn ON cn.oid = co.collnamespace JOIN pg_type t ON t.oid = a.atttypid
                         WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation)
                  FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE n.nspname = ? AND k.relname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    java.sql.Array collation = rs.getArray(6);
                    cols.put(rs.getString(1), new Existing(rs.getString(2), "t".equals(rs.getString(3)), rs.getString(4),
                            rs.getString(5), collation == null ? List.of() : List.of((String[]) collation.getArray())));
                }
            }
        }
        return cols;
    }
}
