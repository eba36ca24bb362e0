package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    private final EnumLabels enums;
    private final Map<TableId, ChangeEvent.SchemaChange> shapes = new HashMap<>();
    private final Map<TableId, Map<String, String>> castTypes = new HashMap<>();
    private final Map<TableId, Map<String, ColumnEquality>> equalities = new HashMap<>();
    private final Map<TableId, String> rowsOf = new HashMap<>();
    /** Tables created in the open transaction from a schema event. */
    private final Set<TableId> createdNow = new HashSet<>();

    /** For the follower {@code config} names; enum labels are added on a session of its own there ({@link EnumLabels}). */
    public SchemaSync(ApplierConfig config) {
        this.enums = new EnumLabels(() -> DriverManager.getConnection(config.jdbcUrl(), config.connection()));
    }

    EnumLabels enums() {
        return enums;
    }

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
                    types.put(col.name(), UnnestStatements.castType(col.type()));
                }
            } else {
                for (Map.Entry<String, FollowerTable.Existing> col : FollowerTable.columns(c, table).entrySet()) {
                    types.put(col.getKey(), UnnestStatements.castType(col.getValue().type()));
                }
            }
            if (types.isEmpty()) {
                return null;
            }
            castTypes.put(table, types);
        }
        return types;
    }

    /** The columns of a follower table an update or delete compares by more than {@code =} ({@link ColumnEquality}). */
    Map<String, ColumnEquality> equalities(Connection c, TableId table) throws SQLException {
        Map<String, ColumnEquality> eq = equalities.get(table);
        if (eq == null) {
            eq = ColumnEquality.read(c, table);
            equalities.put(table, eq);
        }
        return eq;
    }

    /**
     * The table as a statement on its rows names it: {@code ONLY} the table — other follower tables may inherit from
     * it, as on the primary, and their rows are theirs — unless the follower's table is partitioned (its owner made
     * it so), whose rows are its partitions'.
     */
    public String rowsOf(Connection c, TableId table) throws SQLException {
        String target = rowsOf.get(table);
        if (target == null) {
            target = rowsOfNow(c, table);
            rowsOf.put(table, target);
        }
        return target;
    }

    /** {@link #rowsOf}, read from the catalog of {@code c} now. */
    public static String rowsOfNow(Connection c, TableId table) throws SQLException {
        return (FollowerTable.partitioned(c, table) ? "" : "ONLY ") + table.quoted();
    }

    /** Whether the follower's table holds rows of its own. */
    public static boolean holdsRows(Connection c, TableId table) throws SQLException {
        return !FollowerTable.isEmpty(c, rowsOfNow(c, table));
    }

    /** Whether the follower has the table. */
    public static boolean tableExists(Connection c, TableId table) throws SQLException {
        return FollowerTable.exists(c, table);
    }

    /** Forgets what it knows of one table (a DDL message changed it). */
    void forget(TableId table) {
        shapes.remove(table);
        typesChanged(table);
        rowsOf.remove(table);
    }

    /** Forgets what it knows (after a rollback the follower's catalog is read again). */
    public void reset() {
        shapes.clear();
        castTypes.clear();
        equalities.clear();
        rowsOf.clear();
        createdNow.clear();
    }

    /** The open transaction committed: the tables it created are no longer new. */
    public void committed() {
        createdNow.clear();
    }

    /** Whether the open transaction created the table from a schema event. */
    boolean createdNow(TableId table) {
        return createdNow.contains(table);
    }

    /** A table the open transaction created, dropped again. */
    void droppedNow(TableId table) {
        createdNow.remove(table);
        forget(table);
    }

    /** Which columns a table the open transaction created from a schema event has then; null for any other table. */
    List<String> createdNowWith(TableId table) {
        ChangeEvent.SchemaChange shape = shapes.get(table);
        return createdNow.contains(table) && shape != null ? shape.columns().stream().map(Column::name).toList() : null;
    }

    /**
     * Makes again a table the open transaction created, still empty, with {@code generated} among its columns
     * where the primary has them: PostgreSQL adds a column only after the others.
     */
    void remake(Statement st, TableId table, List<DdlMessage.Generated> generated) throws SQLException {
        ChangeEvent.SchemaChange shape = shapes.get(table);
        FollowerTable.execute(st, "DROP TABLE " + table.quoted(), shape, null);
        create(st, shape, generated);
        typesChanged(table);
        rowsOf.remove(table);
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
        Map<String, FollowerTable.Existing> existing = FollowerTable.columns(c, event.table());
        SchemaGuard.checkOnFollower(c, event, where, existing);
        try (Statement st = c.createStatement()) {
            ensureEnums(c, st, event);
            if (existing.isEmpty() && !FollowerTable.exists(c, event.table())) {
                create(st, event, List.of());
                createdNow.add(event.table());
            } else {
                evolve(c, st, event, existing);
            }
        }
        shapes.put(event.table(), event);
        typesChanged(event.table());
    }

    /** The table's columns changed: their cast types and equalities are read again when next wanted. */
    private void typesChanged(TableId table) {
        castTypes.remove(table);
        equalities.remove(table);
    }

    /** Creates enum types the follower lacks; labels the primary added or renamed since, added or renamed ({@link EnumLabels}). */
    private void ensureEnums(Connection c, Statement st, ChangeEvent.SchemaChange e) throws SQLException {
        for (Column col : e.columns()) {
            if (col.enumLabels().isEmpty()) {
                continue;
            }
            String type = col.type().endsWith("[]") ? col.type().substring(0, col.type().length() - 2) : col.type();
            if (enums.ensure(c, st, type, col.enumLabels(), false, (s, sql) -> FollowerTable.execute(s, sql, e, col.name()))) {
                log.info("created enum type {} on the follower", type);
            }
        }
    }

    /** {@code generated}: columns made with it, each at its place among the event's (after them all when not said). */
    private static void create(Statement st, ChangeEvent.SchemaChange e, List<DdlMessage.Generated> generated) throws SQLException {
        List<String> defs = new ArrayList<>();
        for (int i = 0; i <= e.columns().size(); i++) {
            for (DdlMessage.Generated g : generated) {
                if (g.place() == null ? i == e.columns().size() : Math.min(g.place(), e.columns().size()) == i) {
                    defs.add(TableId.quote(g.name()) + " " + g.type() + " GENERATED ALWAYS AS (" + g.expression() + ")"
                            + (g.stored() ? " STORED" : " VIRTUAL") + (g.nullable() ? "" : " NOT NULL"));
                }
            }
            if (i < e.columns().size()) {
                Column col = e.columns().get(i);
                defs.add(TableId.quote(col.name()) + " " + col.type() + (col.nullable() ? "" : " NOT NULL"));
            }
        }
        List<String> key = e.keyColumns();
        if (!key.isEmpty()) {
            defs.add("PRIMARY KEY (" + key.stream().map(TableId::quote).collect(Collectors.joining(", ")) + ")");
        }
        st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(e.table().schema()));
        String sql = "CREATE TABLE " + e.table().quoted() + " (" + String.join(", ", defs) + ")";
        FollowerTable.execute(st, sql, e, null);
        if (e.replicaIdentity() == ChangeEvent.ReplicaIdentity.FULL) {
            st.execute("ALTER TABLE " + e.table().quoted() + " REPLICA IDENTITY FULL");
        }
        log.info("created follower table {} ({} columns, key {})", e.table(), e.columns().size(), key);
    }

    private static void evolve(Connection c, Statement st, ChangeEvent.SchemaChange e, Map<String, FollowerTable.Existing> existing)
            throws SQLException {
        Map<String, Column> wanted = new LinkedHashMap<>();
        e.columns().forEach(col -> wanted.put(col.name(), col));
        for (Map.Entry<String, FollowerTable.Existing> have : existing.entrySet()) {
            // Generated columns are not in the rows, so not in a schema event: DDL messages add and drop them.
            if (!wanted.containsKey(have.getKey()) && !have.getValue().isGenerated()) {
                FollowerTable.dropColumn(st, e, have.getKey());
            }
        }
        for (Column col : wanted.values()) {
            FollowerTable.Existing have = existing.get(col.name());
            if (have == null) {
                FollowerTable.addColumn(st, e, col, null);
            } else if (!have.type().equals(col.type())) {
                FollowerTable.retypeColumn(st, e, col.name(), have.type(), col.type(), false);
            }
            if (have != null && have.nullable() != col.nullable()) {
                FollowerTable.setNullable(st, e, col.name(), col.nullable());
            }
        }
        followKey(c, st, e, e.keyColumns());
    }

    /**
     * The follower's primary key follows the key the stream names: {@code pgbench -i} creates its
     * tables without keys, fills them, then adds them. Without the key on the follower every
     * update and delete would scan the table; with a key the primary has dropped, the follower
     * could refuse rows the primary accepts. {@code wanted} in table order, as the stream names a key.
     */
    static void followKey(Connection c, Statement st, ChangeEvent.SchemaChange e, List<String> wanted) throws SQLException {
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
            FollowerTable.execute(st, "ALTER TABLE " + e.table().quoted() + " DROP CONSTRAINT " + TableId.quote(constraint), e, null);
        }
        if (!wanted.isEmpty()) {
            FollowerTable.execute(st, "ALTER TABLE " + e.table().quoted() + " ADD PRIMARY KEY ("
                    + wanted.stream().map(TableId::quote).collect(Collectors.joining(", ")) + ")", e, null);
        }
        log.info("follower table {}: primary key {} -> {}", e.table(), have, wanted);
    }
}
