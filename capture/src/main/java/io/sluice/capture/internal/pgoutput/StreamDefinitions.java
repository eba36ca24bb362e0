package io.sluice.capture.internal.pgoutput;

import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the stream has said of each table's columns — which are NOT NULL, which are in the key, which are generated and
 * from what, and the tables it inherits from — and of each enum's labels, as of the position capture has reached: the
 * DDL triggers' messages, each as of its command, and the shapes read where the stream stood (the snapshot's, in its
 * snapshot; a trigger's rows message's, as of its command). A Relation message says none of it but the key under
 * DEFAULT and INDEX identity, and the catalog's current state may already hold a later command's: a column set NOT
 * NULL after the rows decoded now were written, a primary key added once duplicates were deleted, a generated column's
 * expression naming a column renamed since, an enum label renamed since (which a follower, given the new name ahead of
 * the rename, could only add beside the old) — a follower given that ahead of those rows refuses them or differs. So
 * where the stream has said it, that is what a shape carries (docs/capture.md, "Schema changes"). Not thread-safe: the
 * engine's thread.
 */
final class StreamDefinitions {

    /** A column as the stream last said it: {@code key} null when the message did not say (older triggers). */
    private record Fact(boolean nullable, Boolean key) { }

    /** A table as the stream last said it: {@code inherits} null when not said. */
    private record Said(Map<String, Fact> columns, List<DdlMessage.Generated> generated, List<TableId> inherits) { }

    private final Map<TableId, Said> tables = new HashMap<>();
    /** Each enum's labels as the stream last said them, by {@code [schema, name]}. */
    private final Map<List<String>, List<String>> labels = new HashMap<>();

    /** A trigger's message: the table's columns as of its command. */
    void said(DdlMessage ddl) {
        if (ddl.renamedFrom() != null) {
            tables.remove(ddl.renamedFrom());
        }
        Map<String, Fact> columns = new HashMap<>();
        for (DdlMessage.DdlColumn c : ddl.columns()) {
            columns.put(c.name(), new Fact(c.nullable(), c.key()));
        }
        tables.put(ddl.table(), new Said(columns, ddl.generated(), ddl.inherits())); // the triggers always say the parents
        saidTypes(ddl.types());
    }

    /** Enum labels as the types of a message or a shape give them (a trigger's: as of its command). */
    private void saidTypes(List<TypeDefinition> types) {
        for (TypeDefinition t : types) {
            if (!t.renamedFrom().isEmpty()) {
                labels.remove(t.renamedFrom());
            }
            if ("enum".equals(t.kind())) {
                labels.put(List.of(t.schema(), t.name()), t.labels());
            }
        }
    }

    /**
     * An enum's labels read from the catalog because a row used one the stream never said (without the triggers, a label
     * added reaches the stream only so): they hold from now on.
     */
    void labelsRead(List<String> enumType, List<String> read) {
        if (!enumType.isEmpty()) {
            labels.put(enumType, read);
        }
    }

    /** A shape exact as of its place on the stream: the snapshot's (read in its snapshot), a trigger's rows message's. */
    void said(TableShape shape) {
        Map<String, Fact> columns = new HashMap<>();
        for (Column c : shape.columns()) {
            columns.put(c.name(), new Fact(c.nullable(), c.key()));
        }
        tables.put(shape.table(), new Said(columns, shape.generated(), shape.inherits()));
        saidTypes(shape.types());
    }

    /** A table renamed or moved: what was said of it holds under its new name. */
    void renamed(TableId from, TableId to) {
        Said said = tables.remove(from);
        if (said != null) {
            tables.put(to, said);
        }
    }

    /** A dropped table: one made again under its name starts unsaid. */
    void dropped(TableId table) {
        tables.remove(table);
    }

    /**
     * The shape with what the stream said of its columns, generated columns, parents and enums in place of what the
     * catalog or the Relation message gave; a column never said keeps its own. The key is taken from what was said only
     * where the shape's own may be ahead — read from the catalog ({@code keyFromCatalog}: an announcement, or a Relation
     * under FULL).
     */
    TableShape asSaid(TableShape shape, boolean keyFromCatalog) {
        shape = labelsAsSaid(typesAsSaid(shape));
        Said said = tables.get(shape.table());
        if (said == null) {
            return shape;
        }
        List<Column> columns = new ArrayList<>(shape.columns().size());
        List<String> key = new ArrayList<>();
        boolean changed = !said.generated().equals(shape.generated())
                || said.inherits() != null && !said.inherits().equals(shape.inherits());
        for (Column c : shape.columns()) {
            Fact s = said.columns().get(c.name());
            boolean nullable = s == null ? c.nullable() : s.nullable();
            boolean isKey = keyFromCatalog && s != null && s.key() != null ? s.key() : c.key();
            changed |= nullable != c.nullable() || isKey != c.key();
            columns.add(new Column(c.name(), c.type(), nullable, isKey, c.enumLabels()));
            if (isKey) {
                key.add(c.name());
            }
        }
        List<TableId> inherits = said.inherits() != null ? said.inherits() : shape.inherits();
        return changed ? shape.withDefinition(columns, key, said.generated(), inherits) : shape;
    }

    /** The shape with the labels the stream said of its enum columns' enums (read from the catalog: maybe ahead). */
    private TableShape labelsAsSaid(TableShape shape) {
        if (shape.enumTypes().isEmpty()) {
            return shape;
        }
        boolean changed = false;
        List<Column> columns = new ArrayList<>(shape.columns().size());
        for (Column c : shape.columns()) {
            List<String> said = labels.get(shape.enumTypes().getOrDefault(c.name(), List.of()));
            if (said != null && !said.equals(c.enumLabels())) {
                c = new Column(c.name(), c.type(), c.nullable(), c.key(), said);
                changed = true;
            }
            columns.add(c);
        }
        return changed ? shape.withDefinition(columns, shape.key(), shape.generated(), shape.inherits()) : shape;
    }

    /** The shape with the labels the stream said of the enums among its types (read from the catalog: maybe ahead). */
    private TableShape typesAsSaid(TableShape shape) {
        boolean changed = false;
        List<TypeDefinition> types = new ArrayList<>(shape.types().size());
        for (TypeDefinition t : shape.types()) {
            List<String> said = "enum".equals(t.kind()) ? labels.get(List.of(t.schema(), t.name())) : null;
            if (said != null && !said.equals(t.labels())) {
                t = new TypeDefinition(t.schema(), t.name(), t.kind(), t.base(), t.notNull(), t.checks(), t.attributes(),
                        said, t.range(), t.extension(), t.renamedFrom());
                changed = true;
            }
            types.add(t);
        }
        return changed ? shape.withTypes(types) : shape;
    }

    /** Whether a shape of this identity, built from a Relation message, took its key from the catalog. */
    static boolean keyFromCatalog(ReplicaIdentity identity) {
        return identity == ReplicaIdentity.FULL;
    }
}
