package io.sluice.capture.internal;

import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;

/**
 * The exact PostgreSQL shape of captured tables (format_type names, nullability, replica
 * identity), read from the primary's catalog when a table's row shape first appears or changes
 * on the stream. Not thread-safe: used by the engine's single handler thread.
 */
public final class TableShapes {

    /** A table's columns as the stream carries them, with their exact types. */
    record Shape(List<Column> columns, ReplicaIdentity replicaIdentity) { }

    private static final String QUERY = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, c.relreplident,
                   (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                     WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END)
              FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_type t ON t.oid = a.atttypid
             WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum""";

    private final PrimarySession session;
    private final Map<TableId, Schema> lastSchema = new HashMap<>();
    private final Map<TableId, Set<String>> lastKey = new HashMap<>();
    private final Map<TableId, ReplicaIdentity> identities = new HashMap<>();

    public TableShapes(Supplier<Connection> connections) {
        this.session = new PrimarySession(connections);
    }

    /**
     * Returns the shape when {@code rowSchema} differs from the last one seen for the table (or
     * the table is new to this capture), else null.
     */
    Shape changed(TableId table, Schema rowSchema, Set<String> keyColumns) {
        // A key added or dropped (pgbench -i adds its keys after loading) changes the shape too.
        if (rowSchema.equals(lastSchema.get(table)) && keyColumns.equals(lastKey.get(table))) {
            return null;
        }
        Shape shape = read(table, rowSchema, keyColumns);
        lastSchema.put(table, rowSchema);
        lastKey.put(table, keyColumns);
        identities.put(table, shape.replicaIdentity());
        return shape;
    }

    /** Forgets a table the primary dropped: one made again under its name is new to this capture. */
    void dropped(TableId table) {
        lastSchema.remove(table);
        lastKey.remove(table);
        identities.remove(table);
    }

    /** The replica identity last read for the table (DEFAULT if never read). */
    ReplicaIdentity replicaIdentity(TableId table) {
        return identities.getOrDefault(table, ReplicaIdentity.DEFAULT);
    }

    private Shape read(TableId table, Schema rowSchema, Set<String> keyColumns) {
        Map<String, String[]> catalog = new HashMap<>();
        Map<String, List<String>> enums = new HashMap<>();
        ReplicaIdentity identity = ReplicaIdentity.DEFAULT;
        try (PreparedStatement ps = session.get().prepareStatement(QUERY)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    catalog.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                    java.sql.Array labels = rs.getArray(5);
                    if (labels != null) {
                        enums.put(rs.getString(1), List.of((String[]) labels.getArray()));
                    }
                    identity = switch (rs.getString(4)) {
                        case "f" -> ReplicaIdentity.FULL;
                        case "i" -> ReplicaIdentity.INDEX;
                        case "n" -> ReplicaIdentity.NOTHING;
                        default -> ReplicaIdentity.DEFAULT;
                    };
                }
            }
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the shape of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
        if (catalog.isEmpty()) {
            // Debezium reads a table's columns now, not as of the change: a table dropped since has none left to read.
            throw new IllegalStateException("capture.engine=debezium cannot describe " + table + ": the primary's catalog no longer"
                    + " has it (dropped since the change was written), and this engine reads a table's columns from the catalog"
                    + " when it meets its rows; use capture.engine=pgoutput, whose changes carry their table's columns");
        }
        List<Column> columns = new ArrayList<>();
        java.util.Set<String> inRow = new java.util.HashSet<>();
        rowSchema.fields().forEach(f -> inRow.add(f.name()));
        for (String name : catalog.keySet()) {
            // Debezium leaves out a column whose type it does not map (arrays of most types); a
            // column of a carried type missing from the row was added after the row was written.
            String refused = inRow.contains(name) ? null
                    : DebeziumTypes.refusal(table, new Column(name, catalog.get(name)[0], true, false));
            if (refused != null) {
                throw new IllegalStateException(refused + " (Debezium left the column out of the row)");
            }
        }
        for (Field f : rowSchema.fields()) {
            String[] c = catalog.get(f.name());
            // A column dropped since this row was written: fall back to the type Debezium reports.
            String type = c != null ? c[0] : fallbackType(f.schema());
            boolean nullable = c != null ? "t".equals(c[1]) || "true".equals(c[1]) : f.schema().isOptional();
            Column column = new Column(f.name(), type, nullable, keyColumns.contains(f.name()),
                    enums.getOrDefault(f.name(), List.of()));
            String refused = DebeziumTypes.refusal(table, column);
            if (refused != null) {
                throw new IllegalStateException(refused);
            }
            columns.add(column);
        }
        return new Shape(columns, identity);
    }

    private static String fallbackType(Schema schema) {
        Map<String, String> p = schema.parameters();
        String t = p == null ? null : p.get("__debezium.source.column.type");
        if (t == null) {
            throw new IllegalStateException("no type known for a column of schema " + schema);
        }
        return t.startsWith("_") ? t.substring(1).toLowerCase() + "[]" : t.toLowerCase();
    }

    public void close() {
        session.close();
    }
}
