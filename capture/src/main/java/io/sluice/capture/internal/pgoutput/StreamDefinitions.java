package io.sluice.capture.internal.pgoutput;

import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.SaidDefinitions;
import io.sluice.format.TableId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the stream has said of each table's columns — their types, which are NOT NULL, which are in the key, which are
 * generated and from what, and the tables it inherits from — and of each enum's labels ({@link SaidLabels}), as of the
 * position capture has reached: the DDL triggers' messages, each as of its command, and the shapes read where the stream
 * stood (the snapshot's, in its snapshot; a trigger's rows message's, as of its command). A Relation message says none
 * of it but the key under DEFAULT and INDEX identity, and the catalog's current state may already hold a later command's:
 * a column set NOT NULL after the rows decoded now were written, a primary key added once duplicates were deleted, a
 * generated column's expression naming a column renamed since, an enum label renamed since (which a follower, given the
 * new name ahead of the rename, could only add beside the old) — a follower given that ahead of those rows refuses them
 * or differs. So
 * where the stream has said it, that is what a shape carries (docs/capture.md, "Schema changes"). What changed goes onto
 * the stream too ({@link SaidDefinitions}), so a capture started again holds it from the start instead of the catalog's
 * state by then. Not thread-safe: the engine's thread.
 */
final class StreamDefinitions {

    /**
     * A column as the stream last said it: {@code key} null when the message did not say (older triggers), {@code type}
     * null when not said (definitions of an older capture).
     */
    private record Fact(boolean nullable, Boolean key, String type) { }

    /** A table as the stream last said it: {@code inherits} null when not said. */
    private record Said(Map<String, Fact> columns, List<DdlMessage.Generated> generated, List<TableId> inherits) { }

    private final Map<TableId, Said> tables = new HashMap<>();
    /** Tables whose entry changed since {@link #changes()} last gave them. */
    private final Set<TableId> changedTables = new LinkedHashSet<>();
    private final SaidLabels labels = new SaidLabels();
    /**
     * Tables whose creation the stream said but no announcement gave a follower: the catalog no longer had them by that
     * name (renamed since: their rename's message announces them, even in a capture started in between).
     */
    private final Set<TableId> unannounced = new LinkedHashSet<>();
    private boolean unannouncedChanged;

    /** A trigger's message: the table's columns as of its command. */
    void said(DdlMessage ddl) {
        if (ddl.renamedFrom() != null) {
            forget(ddl.renamedFrom());
        }
        Map<String, Fact> columns = new LinkedHashMap<>();
        for (DdlMessage.DdlColumn c : ddl.columns()) {
            columns.put(c.name(), new Fact(c.nullable(), c.key(), c.type()));
        }
        put(ddl.table(), new Said(columns, ddl.generated(), ddl.inherits())); // the triggers always say the parents
        labels.said(ddl.types());
    }

    /** A shape exact as of its place on the stream: the snapshot's (read in its snapshot), a trigger's rows message's. */
    void said(TableShape shape) {
        Map<String, Fact> columns = new LinkedHashMap<>();
        for (Column c : shape.columns()) {
            columns.put(c.name(), new Fact(c.nullable(), c.key(), c.type()));
        }
        put(shape.table(), new Said(columns, shape.generated(), shape.inherits()));
        labels.said(shape.types());
    }

    /** Whether the stream said anything of the table. */
    boolean has(TableId table) {
        return tables.containsKey(table);
    }

    /**
     * Whether the stream said the shape's table with other columns than the shape has, or a column of another type: a
     * shape read from the catalog now, ahead of the stream (a backlog read after later DDL of the table).
     */
    boolean saidOtherwise(TableShape shape) {
        Said s = tables.get(shape.table());
        if (s == null) {
            return false;
        }
        if (!s.columns().keySet().equals(new HashSet<>(shape.columnNames()))) {
            return true;
        }
        for (Column c : shape.columns()) {
            String type = s.columns().get(c.name()).type();
            if (type != null && !type.equals(c.type())) {
                return true;
            }
        }
        return false;
    }

    /** A table renamed or moved: what was said of it holds under its new name. */
    void renamed(TableId from, TableId to) {
        Said said = tables.get(from);
        if (said != null) {
            forget(from);
            put(to, said);
        }
    }

    /** A dropped table: one made again under its name starts unsaid. */
    void dropped(TableId table) {
        forget(table);
        unannounced(table, false);
    }

    /** A table whose creation the stream said and which no follower was given ({@code unseen}), or no longer so. */
    void unannounced(TableId table, boolean unseen) {
        unannouncedChanged |= unseen ? unannounced.add(table) : unannounced.remove(table);
    }

    /** Whether the table's creation was said but no follower given it; it is not so any more. */
    boolean takeUnannounced(TableId table) {
        boolean was = unannounced.remove(table);
        unannouncedChanged |= was;
        return was;
    }

    private void put(TableId table, Said said) {
        if (!said.equals(tables.put(table, said))) {
            changedTables.add(table);
        }
    }

    private void forget(TableId table) {
        if (tables.remove(table) != null) {
            changedTables.add(table);
        }
    }

    /** What the stream said of enums' labels. */
    SaidLabels labels() {
        return labels;
    }

    /** Whether anything changed since {@link #changes()} last gave it. */
    boolean hasChanges() {
        return !changedTables.isEmpty() || labels.hasChanges() || unannouncedChanged;
    }

    /**
     * What changed since the last call — each table and enum changed, as held now — for the frame that changed it to
     * carry before its COMMIT; null when nothing did.
     */
    SaidDefinitions changes() {
        if (!hasChanges()) {
            return null;
        }
        List<SaidDefinitions.Table> said = new ArrayList<>();
        List<TableId> gone = new ArrayList<>();
        for (TableId t : changedTables) {
            if (tables.containsKey(t)) {
                said.add(entry(t, tables.get(t)));
            } else {
                gone.add(t);
            }
        }
        List<SaidDefinitions.EnumLabels> enums = new ArrayList<>();
        List<List<String>> enumsGone = new ArrayList<>();
        labels.changes(enums, enumsGone);
        changedTables.clear();
        List<TableId> unseen = unannouncedChanged ? List.copyOf(unannounced) : null;
        unannouncedChanged = false;
        return new SaidDefinitions(false, said, gone, enums, enumsGone, unseen);
    }

    /** Everything held, for a message standing between frames ({@code changes()} since are to come). */
    SaidDefinitions everything() {
        List<SaidDefinitions.Table> said = new ArrayList<>(tables.size());
        tables.forEach((t, s) -> said.add(entry(t, s)));
        return new SaidDefinitions(true, said, List.of(), labels.everything(), List.of(), List.copyOf(unannounced));
    }

    /** The number of tables and enums held. */
    int size() {
        return tables.size() + labels.size();
    }

    /** Definitions read back from the stream, in its order: a full message replaces what is held, a frame's changes update it. */
    void readBack(SaidDefinitions d) {
        labels.readBack(d);
        if (d.full()) {
            tables.clear();
        }
        for (SaidDefinitions.Table t : d.tables()) {
            Map<String, Fact> columns = new LinkedHashMap<>();
            t.columns().forEach(c -> columns.put(c.name(), new Fact(c.nullable(), c.key(), c.type())));
            tables.put(t.table(), new Said(columns, t.generated(), t.inherits()));
        }
        d.gone().forEach(tables::remove);
        if (d.unannounced() != null || d.full()) {
            unannounced.clear();
            unannounced.addAll(d.unannounced() == null ? List.of() : d.unannounced());
        }
        if (d.full()) {
            changedTables.clear(); // what is held now is what the stream holds
            unannouncedChanged = false;
        }
    }

    private static SaidDefinitions.Table entry(TableId table, Said said) {
        List<SaidDefinitions.ColumnFact> columns = new ArrayList<>(said.columns().size());
        said.columns().forEach((name, f) -> columns.add(new SaidDefinitions.ColumnFact(name, f.nullable(), f.key(), f.type())));
        return new SaidDefinitions.Table(table, columns, said.generated(), said.inherits());
    }

    /**
     * The shape with what the stream said of its columns, generated columns, parents and enums in place of what the
     * catalog or the Relation message gave; a column never said keeps its own. The key is taken from what was said only
     * where the shape's own may be ahead — read from the catalog ({@code keyFromCatalog}: an announcement, or a Relation
     * under FULL).
     */
    TableShape asSaid(TableShape shape, boolean keyFromCatalog) {
        shape = labels.asSaid(shape);
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

    /** Whether a shape of this identity, built from a Relation message, took its key from the catalog. */
    static boolean keyFromCatalog(ReplicaIdentity identity) {
        return identity == ReplicaIdentity.FULL;
    }
}
