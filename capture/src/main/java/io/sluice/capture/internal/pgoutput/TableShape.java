package io.sluice.capture.internal.pgoutput;

import io.sluice.format.ChangeEvent;
import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import io.sluice.format.Value;
import java.util.List;
import java.util.Map;

/**
 * A captured table's shape at one point of the WAL: its columns with their exact types, in the
 * order pgoutput sends a row's values, the replica identity key and the identity kind — and its
 * generated columns, whose values pgoutput does not send (a follower computes them), the
 * domains and composite types its columns use, the tables it inherits from (not a partition's table), and its
 * columns as the catalog describes them, with their defaults and collations (by name; read with the snapshot's
 * catalog reads, not on a Relation message), and the enum ({@code [schema, name]}) each enum or enum-array column's
 * labels are of.
 */
record TableShape(TableId table, List<Column> columns, List<String> key, ReplicaIdentity identity,
                  List<DdlMessage.Generated> generated, List<TypeDefinition> types, List<TableId> inherits,
                  Map<String, DdlMessage.DdlColumn> described, Map<String, List<String>> enumTypes) {

    TableShape {
        columns = List.copyOf(columns);
        key = List.copyOf(key);
        generated = List.copyOf(generated);
        types = List.copyOf(types);
        inherits = List.copyOf(inherits);
        described = Map.copyOf(described);
        enumTypes = Map.copyOf(enumTypes);
    }

    /** The shape with these columns, key, generated columns and parents. */
    TableShape withDefinition(List<Column> columns, List<String> key, List<DdlMessage.Generated> generated, List<TableId> inherits) {
        return new TableShape(table, columns, key, identity, generated, types, inherits, described, enumTypes);
    }

    /** The shape under another name (the table renamed or moved). */
    TableShape named(TableId name) {
        return new TableShape(name, columns, key, identity, generated, types, inherits, described, enumTypes);
    }

    /** The shape with {@code types} as the types its columns use. */
    TableShape withTypes(List<TypeDefinition> types) {
        return new TableShape(table, columns, key, identity, generated, types, inherits, described, enumTypes);
    }

    /**
     * Whether a DDL message follows the schema event ({@link #definition}): what a schema event does not carry —
     * generated columns, the tables it inherits from, columns' defaults and collations.
     */
    boolean hasDefinition() {
        return !generated.isEmpty() || !inherits.isEmpty() || described.values().stream()
                .anyMatch(c -> c.defaultExpression() != null || !c.collation().isEmpty());
    }

    /**
     * The domains and composite types the table's columns use, as a DDL message written before its
     * schema event, so a follower has them before it creates or changes the table.
     */
    ChangeEvent.Message typeDefinitions(EventHeader header) {
        return new ChangeEvent.Message(header, true, DdlMessage.PREFIX,
                DdlMessage.typesOnly(table, types).toJson());
    }

    /**
     * The table's definition as a DDL message, written after its schema event when it has
     * generated columns — their expressions travel only in DDL messages (docs/applier.md, the
     * trust boundary), never in schema events — or inherits from tables, or has defaults or collations.
     */
    ChangeEvent.Message definition(EventHeader header) {
        List<DdlMessage.DdlColumn> plain = columns.stream().map(c -> {
            DdlMessage.DdlColumn d = described.get(c.name());
            return new DdlMessage.DdlColumn(c.name(), c.type(), c.nullable(), null, false, null,
                    d == null ? null : d.defaultExpression(), d == null ? List.of() : d.collation());
        }).toList();
        return new ChangeEvent.Message(header, true, DdlMessage.PREFIX,
                new DdlMessage(table, plain, generated, List.of(), false, false, List.of()).withInherits(inherits).toJson());
    }

    /**
     * An enum value of the row that is not one of the labels its column's type had when the shape
     * was read (added or renamed on the primary since), or null. Arrays of enums are not looked into.
     */
    String unknownLabel(Map<String, Value> row) {
        for (Column c : columns) {
            if (!c.enumLabels().isEmpty() && !c.type().endsWith("]") && row.get(c.name()) instanceof Value.Text t
                    && !c.enumLabels().contains(t.value())) {
                return t.value();
            }
        }
        return null;
    }

    static ReplicaIdentity identity(char code) {
        return switch (code) {
            case 'f' -> ReplicaIdentity.FULL;
            case 'i' -> ReplicaIdentity.INDEX;
            case 'n' -> ReplicaIdentity.NOTHING;
            default -> ReplicaIdentity.DEFAULT;
        };
    }

    /**
     * The shape a publication with a column list publishes: only the columns {@code published} names (its
     * key among them), and no generated column (none is in a column list); this shape when
     * {@code published} is null or names every column.
     */
    TableShape publishedAs(List<String> published) {
        if (published == null || columns.stream().allMatch(c -> published.contains(c.name()))) {
            return this;
        }
        Map<String, DdlMessage.DdlColumn> kept = new java.util.HashMap<>(described);
        kept.keySet().retainAll(published);
        return new TableShape(table, columns.stream().filter(c -> published.contains(c.name())).toList(),
                key.stream().filter(published::contains).toList(), identity, List.of(), types, inherits, kept, enumTypes);
    }

    /** The column of that name, or null. */
    Column column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    /** The columns' names, in order. */
    List<String> columnNames() {
        return columns.stream().map(Column::name).toList();
    }

    /**
     * The table as a trigger's message of its creation gave it: its columns (each enum column with the labels the
     * message's types give), key (a new table's identity is DEFAULT: its primary key), generated columns, types and
     * parents, as of the CREATE — for a table the catalog has changed since. Empty when the message does not say the
     * key (an older trigger).
     */
    static java.util.Optional<TableShape> created(DdlMessage ddl) {
        if (ddl.columns().stream().anyMatch(c -> c.key() == null)) {
            return java.util.Optional.empty();
        }
        Map<String, TypeDefinition> enums = new java.util.HashMap<>();
        for (TypeDefinition t : ddl.types()) {
            if ("enum".equals(t.kind())) {
                enums.put(("public".equals(t.schema()) ? "" : ident(t.schema()) + ".") + ident(t.name()), t);
            }
        }
        List<Column> columns = new java.util.ArrayList<>();
        Map<String, List<String>> enumTypes = new java.util.HashMap<>();
        for (DdlMessage.DdlColumn c : ddl.columns()) {
            TypeDefinition e = enums.get(c.type().replaceAll("(\\[\\])+$", ""));
            if (e != null) {
                enumTypes.put(c.name(), List.of(e.schema(), e.name()));
            }
            columns.add(new Column(c.name(), c.type(), c.nullable(), c.key(), e == null ? List.of() : e.labels()));
        }
        return java.util.Optional.of(new TableShape(ddl.table(), columns,
                columns.stream().filter(Column::key).map(Column::name).toList(), ReplicaIdentity.DEFAULT, ddl.generated(),
                ddl.types(), ddl.inherits() == null ? List.of() : ddl.inherits(), Map.of(), enumTypes));
    }

    /** An identifier as {@code format_type} prints it: bare when it is a plain lower-case one, else quoted. */
    private static String ident(String name) {
        return name.matches("[a-z_][a-z0-9_$]*") ? name : TableId.quote(name);
    }

    /** Whether the shape has the columns a DDL message gives, by name and type, in order. */
    boolean hasColumnsOf(DdlMessage ddl) {
        if (columns.size() != ddl.columns().size()) {
            return false;
        }
        for (int i = 0; i < columns.size(); i++) {
            DdlMessage.DdlColumn then = ddl.columns().get(i);
            if (!columns.get(i).name().equals(then.name()) || !columns.get(i).type().equals(then.type())) {
                return false;
            }
        }
        return true;
    }
}
