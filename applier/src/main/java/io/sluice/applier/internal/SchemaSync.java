package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a follower table follow the primary's shape from schema events: creates it (with the
 * primary key the stream names), adds, drops and retypes columns. Runs inside the apply
 * transaction, so a shape change commits together with the rows that need it. Remembers the
 * shape of each table it has seen, and the cast types of each table it has written. Not thread-safe.
 */
public final class SchemaSync {

    private static final Logger log = LoggerFactory.getLogger(SchemaSync.class);

    private final Map<TableId, ChangeEvent.SchemaChange> shapes = new HashMap<>();
    private final Map<TableId, Map<String, String>> castTypes = new HashMap<>();

    /**
     * Each column's cast type ({@link RowWriter#castType}) in a follower table: from the last
     * shape the stream announced for it or, when none was seen since this applier connected (it
     * resumed after the table's schema events), from the follower's catalog. Null when the
     * follower has no such table.
     */
    public Map<String, String> castTypes(Connection c, TableId table) throws SQLException {
        Map<String, String> types = castTypes.get(table);
        if (types == null) {
            types = new HashMap<>();
            ChangeEvent.SchemaChange shape = shapes.get(table);
            if (shape != null) {
                for (Column col : shape.columns()) {
                    types.put(col.name(), RowWriter.castType(col.type()));
                }
            } else {
                for (Map.Entry<String, String[]> col : followerColumns(c, table).entrySet()) {
                    types.put(col.getKey(), RowWriter.castType(col.getValue()[0]));
                }
            }
            if (types.isEmpty()) {
                return null;
            }
            castTypes.put(table, types);
        }
        return types;
    }

    /** Forgets what it knows (after a rollback the follower's catalog is read again). */
    public void reset() {
        shapes.clear();
        castTypes.clear();
    }

    /**
     * Makes the follower's table take the event's shape. {@code where} (topic-partition@offset)
     * names the event if the follower cannot read its types ({@link SchemaGuard}).
     */
    public void apply(Connection c, ChangeEvent.SchemaChange event, String where) throws SQLException {
        ChangeEvent.SchemaChange known = shapes.get(event.table());
        if (known != null && known.columns().equals(event.columns())) {
            return;
        }
        SchemaGuard.checkOnFollower(c, event, where);
        Map<String, String[]> existing = followerColumns(c, event.table());
        try (Statement st = c.createStatement()) {
            ensureEnums(c, st, event);
            if (existing.isEmpty()) {
                create(st, event);
            } else {
                evolve(c, st, event, existing);
            }
        }
        shapes.put(event.table(), event);
        castTypes.remove(event.table());
    }

    /**
     * Takes an ALTER TABLE as it happened on the primary ({@link DdlMessage}): drops the columns the
     * primary dropped, adds new ones with the value the primary's existing rows have in them (its
     * missing value, as a constant: the follower's rows then equal the primary's without a row
     * being sent), and stops, naming the table, when the primary rewrote every row with a default
     * computed per row, which no follower can reproduce. A table the follower does not have yet
     * is left to its first schema event. Types pass the same checks as a schema event's.
     */
    public void applyDdl(Connection c, DdlMessage ddl, EventHeader header, String where) throws SQLException {
        Lsn lsn = header.commitLsn();
        Map<String, String[]> existing = followerColumns(c, ddl.table());
        if (existing.isEmpty()) {
            return;
        }
        if (ddl.volatileRewrite()) {
            throw new ApplierException("the primary rewrote table " + ddl.table() + " at source LSN " + lsn + " (" + where
                    + ") with a default computed per row (a volatile DEFAULT in ADD COLUMN): the follower cannot reproduce"
                    + " those values. Re-create the table on the follower from a new snapshot, or make the default"
                    + " non-volatile", false, null);
        }
        List<Column> columns = new ArrayList<>();
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            columns.add(new Column(col.name(), col.type(), col.nullable(), false));
        }
        // The same checks and error reports as for a schema event of this shape.
        ChangeEvent.SchemaChange shape = new ChangeEvent.SchemaChange(header, ddl.table(), columns, ChangeEvent.ReplicaIdentity.DEFAULT);
        SchemaGuard.checkOnFollower(c, shape, where);
        List<String> missing = ddl.renamedColumns().stream().filter(n -> !existing.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            // A rename would otherwise read as a dropped column and a new one: the values would be lost.
            throw new ApplierException("the primary renamed columns of table " + ddl.table() + " at source LSN " + lsn + " (" + where
                    + "), now called " + missing + ", and the stream does not say their old names: rename them on the follower"
                    + " the same way (ALTER TABLE ... RENAME COLUMN) and restart the applier", false, null);
        }
        try (Statement st = c.createStatement()) {
            for (String name : existing.keySet()) {
                if (ddl.columns().stream().noneMatch(col -> col.name().equals(name))) {
                    dropColumn(st, shape, name);
                }
            }
            for (DdlMessage.DdlColumn col : ddl.columns()) {
                String[] have = existing.get(col.name());
                if (have != null) {
                    retype(st, ddl, col, have[0], shape);
                } else {
                    addColumn(st, shape, new Column(col.name(), col.type(), col.nullable(), false), col.missing());
                }
            }
        }
        shapes.remove(ddl.table());
        castTypes.remove(ddl.table());
    }

    /**
     * A column whose type the ALTER changed: converted by the type's cast, as the primary did —
     * unless the primary used an expression of its own ({@code USING}), which the follower cannot
     * know, so the applier stops instead of converting differently.
     */
    private static void retype(Statement st, DdlMessage ddl, DdlMessage.DdlColumn col, String had,
                               ChangeEvent.SchemaChange shape) throws SQLException {
        if (had.equals(col.type())) {
            return;
        }
        if (ddl.usingExpression()) {
            throw new ApplierException("the follower cannot take the shape change at source LSN " + shape.header().commitLsn()
                    + " (table " + ddl.table() + ", column " + col.name() + " of type " + col.type() + "): the primary converted"
                    + " its values from " + had + " with ALTER COLUMN ... TYPE ... USING an expression the follower cannot"
                    + " reproduce. Re-create the table on the follower from a new snapshot", false, null);
        }
        retypeColumn(st, shape, col.name(), had, col.type());
    }

    private static void dropColumn(Statement st, ChangeEvent.SchemaChange e, String name) throws SQLException {
        execute(st, "ALTER TABLE " + e.table().quoted() + " DROP COLUMN " + TableId.quote(name), e, name);
        log.info("dropped column {}.{} on the follower (source LSN {})", e.table(), name, e.header().commitLsn());
    }

    /**
     * Adds a column; {@code existingRows}, when given, is the value the rows already there take
     * (a constant default, dropped again at once: new rows bring their own values).
     */
    private static void addColumn(Statement st, ChangeEvent.SchemaChange e, Column col, String existingRows)
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

    private static void retypeColumn(Statement st, ChangeEvent.SchemaChange e, String name, String from, String to)
            throws SQLException {
        execute(st, "ALTER TABLE " + e.table().quoted() + " ALTER COLUMN " + TableId.quote(name) + " TYPE " + to, e, name);
        log.info("changed column {}.{} from {} to {} on the follower (source LSN {})", e.table(), name, from, to,
                e.header().commitLsn());
    }

    /** Creates enum types the follower lacks, and adds labels the primary has added since. */
    private static void ensureEnums(Connection c, Statement st, ChangeEvent.SchemaChange e) throws SQLException {
        for (Column col : e.columns()) {
            if (col.enumLabels().isEmpty()) {
                continue;
            }
            String type = col.type().endsWith("[]") ? col.type().substring(0, col.type().length() - 2) : col.type();
            List<String> have = new ArrayList<>();
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regtype(?) IS NOT NULL, ARRAY(SELECT e.enumlabel::text"
                    + " FROM pg_enum e WHERE e.enumtypid = to_regtype(?) ORDER BY e.enumsortorder)")) {
                ps.setString(1, type);
                ps.setString(2, type);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                    have.addAll(List.of((String[]) rs.getArray(2).getArray()));
                }
            }
            if (!exists) {
                execute(st, "CREATE TYPE " + type + " AS ENUM (" + col.enumLabels().stream().map(SchemaSync::literal)
                        .collect(Collectors.joining(", ")) + ")", e, col.name());
                log.info("created enum type {} on the follower", type);
                continue;
            }
            for (String label : col.enumLabels()) {
                if (!have.contains(label)) {
                    // New labels are usable once this transaction commits (PostgreSQL's rule).
                    execute(st, "ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " + literal(label), e, col.name());
                }
            }
        }
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static void create(Statement st, ChangeEvent.SchemaChange e) throws SQLException {
        List<String> defs = new ArrayList<>();
        for (Column col : e.columns()) {
            defs.add(TableId.quote(col.name()) + " " + col.type() + (col.nullable() ? "" : " NOT NULL"));
        }
        List<String> key = e.keyColumns();
        if (!key.isEmpty()) {
            defs.add("PRIMARY KEY (" + key.stream().map(TableId::quote).collect(Collectors.joining(", ")) + ")");
        }
        st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(e.table().schema()));
        String sql = "CREATE TABLE " + e.table().quoted() + " (" + String.join(", ", defs) + ")";
        execute(st, sql, e, null);
        if (e.replicaIdentity() == ChangeEvent.ReplicaIdentity.FULL) {
            st.execute("ALTER TABLE " + e.table().quoted() + " REPLICA IDENTITY FULL");
        }
        log.info("created follower table {} ({} columns, key {})", e.table(), e.columns().size(), key);
    }

    private static void evolve(Connection c, Statement st, ChangeEvent.SchemaChange e, Map<String, String[]> existing)
            throws SQLException {
        Map<String, Column> wanted = new LinkedHashMap<>();
        e.columns().forEach(col -> wanted.put(col.name(), col));
        for (String name : existing.keySet()) {
            if (!wanted.containsKey(name)) {
                dropColumn(st, e, name);
            }
        }
        for (Column col : wanted.values()) {
            String[] have = existing.get(col.name());
            if (have == null) {
                addColumn(st, e, col, null);
            } else if (!have[0].equals(col.type())) {
                retypeColumn(st, e, col.name(), have[0], col.type());
            }
            if (have != null && "t".equals(have[1]) != col.nullable()) {
                execute(st, "ALTER TABLE " + e.table().quoted() + " ALTER COLUMN " + TableId.quote(col.name())
                        + (col.nullable() ? " DROP NOT NULL" : " SET NOT NULL"), e, col.name());
            }
        }
        followKey(c, st, e);
    }

    /**
     * The follower's primary key follows the key the stream names: {@code pgbench -i} creates its
     * tables without keys, fills them, then adds them. Without the key on the follower every
     * update and delete would scan the table; with a key the primary has dropped, the follower
     * could refuse rows the primary accepts.
     */
    private static void followKey(Connection c, Statement st, ChangeEvent.SchemaChange e) throws SQLException {
        List<String> wanted = e.keyColumns();
        String constraint = null;
        List<String> have = List.of();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT con.conname, ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)
                  FROM pg_constraint con WHERE con.conrelid = to_regclass(?) AND con.contype = 'p'""")) {
            ps.setString(1, e.table().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    constraint = rs.getString(1);
                    have = List.of((String[]) rs.getArray(2).getArray());
                }
            }
        }
        if (have.equals(wanted)) {
            return;
        }
        if (constraint != null) {
            execute(st, "ALTER TABLE " + e.table().quoted() + " DROP CONSTRAINT " + TableId.quote(constraint), e, null);
        }
        if (!wanted.isEmpty()) {
            execute(st, "ALTER TABLE " + e.table().quoted() + " ADD PRIMARY KEY ("
                    + wanted.stream().map(TableId::quote).collect(Collectors.joining(", ")) + ")", e, null);
        }
        log.info("follower table {}: primary key {} -> {}", e.table(), have, wanted);
    }

    private static void execute(Statement st, String sql, ChangeEvent.SchemaChange e, String column) throws SQLException {
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

    /** name → {format_type, nullable t/f} of the follower's table; empty when it does not exist. */
    private static Map<String, String[]> followerColumns(Connection c, TableId table) throws SQLException {
        Map<String, String[]> cols = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'f' ELSE 't' END
                  FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n ON n.oid = k.relnamespace
                 WHERE n.nspname = ? AND k.relname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
            }
        }
        return cols;
    }
}
