package io.sluice.capture.internal.pgoutput;

import io.sluice.format.Column;
import io.sluice.format.SaidDefinitions;
import io.sluice.format.TypeDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the stream has said of each enum's labels, as of the position capture has reached ({@link StreamDefinitions}
 * holds the tables' part): the DDL triggers' messages, each as of its command, and the shapes read where the stream
 * stood. The catalog's labels may be a later command's — a label renamed since, which a follower, given the new name
 * ahead of the rename, could only add beside the old — so where the stream has said an enum's labels, those are what a
 * shape carries; and consecutive lists tell a label renamed ({@link LabelRenames}). Not thread-safe: the engine's thread.
 */
final class SaidLabels {

    /** Each enum's labels as the stream last said them, by {@code [schema, name]}. */
    private final Map<List<String>, List<String>> labels = new HashMap<>();
    /** Enums whose labels changed since {@link #changes} last gave them. */
    private final Set<List<String>> changed = new LinkedHashSet<>();
    private final LabelRenames renames = new LabelRenames();
    /** How many times any enum's labels changed: shapes made before the last change carry labels no longer said. */
    private long changeCount;

    /** Enum labels as the types of a message or a shape give them (a trigger's: as of its command). */
    void said(List<TypeDefinition> types) {
        for (TypeDefinition t : types) {
            if (!t.renamedFrom().isEmpty()) {
                labels(t.renamedFrom(), null, true);
            }
            if ("enum".equals(t.kind())) {
                labels(List.of(t.schema(), t.name()), t.labels(), true);
            }
        }
    }

    /**
     * An enum's labels read from the catalog because a row used one the stream never said (without the triggers, a label
     * added reaches the stream only so): they hold from now on.
     */
    void read(List<String> enumType, List<String> read) {
        if (!enumType.isEmpty()) {
            labels(enumType, read, false);
        }
    }

    /**
     * An enum's labels said, or ({@code said} null) the enum no longer said; {@code inPlace}: as of this place on the
     * stream, the list before it as of the place before — what tells a label renamed ({@link LabelRenames}).
     */
    private void labels(List<String> enumType, List<String> said, boolean inPlace) {
        List<String> before = said == null ? labels.remove(enumType) : labels.put(enumType, said);
        if (inPlace) {
            renames.said(enumType, before, said);
        }
        if (!Objects.equals(before, said)) {
            changed.add(enumType);
            changeCount++;
        }
    }

    /** How many times any enum's labels changed so far. */
    long changeCount() {
        return changeCount;
    }

    /** The labels renamed as the stream said it, for the values of rows written before a rename ({@link LabelRenames}). */
    LabelRenames renames() {
        return renames;
    }

    /** Whether any enum's labels changed since {@link #changes} last gave them. */
    boolean hasChanges() {
        return !changed.isEmpty();
    }

    /** Each enum changed since the last call, as held now, into {@code said}; those no longer said into {@code gone}. */
    void changes(List<SaidDefinitions.EnumLabels> said, List<List<String>> gone) {
        for (List<String> e : changed) {
            if (labels.containsKey(e)) {
                said.add(new SaidDefinitions.EnumLabels(e, labels.get(e), renames.of(e)));
            } else {
                gone.add(e);
            }
        }
        changed.clear();
    }

    /** Every enum held. */
    List<SaidDefinitions.EnumLabels> everything() {
        List<SaidDefinitions.EnumLabels> enums = new ArrayList<>(labels.size());
        labels.forEach((e, l) -> enums.add(new SaidDefinitions.EnumLabels(e, l, renames.of(e))));
        return enums;
    }

    /** The number of enums held. */
    int size() {
        return labels.size();
    }

    /** The enums' part of definitions read back from the stream ({@link StreamDefinitions#readBack}). */
    void readBack(SaidDefinitions d) {
        changeCount++;
        if (d.full()) {
            labels.clear();
            renames.clear();
        }
        for (SaidDefinitions.EnumLabels e : d.enums()) {
            renames.said(e.type(), labels.put(e.type(), e.labels()), e.labels()); // an older capture's messages say none
            renames.restore(e.type(), e.renamed());
        }
        d.enumsGone().forEach(e -> renames.said(e, labels.remove(e), null));
        if (d.full()) {
            changed.clear(); // what is held now is what the stream holds
        }
    }

    /** The shape with the labels the stream said of the enums its columns and types use (it may have been made before). */
    TableShape asSaid(TableShape shape) {
        return columnsAsSaid(typesAsSaid(shape));
    }

    /** The shape with the labels the stream said of its enum columns' enums (read from the catalog: maybe ahead). */
    private TableShape columnsAsSaid(TableShape shape) {
        if (shape.enumTypes().isEmpty()) {
            return shape;
        }
        boolean differs = false;
        List<Column> columns = new ArrayList<>(shape.columns().size());
        for (Column c : shape.columns()) {
            List<String> said = labels.get(shape.enumTypes().getOrDefault(c.name(), List.of()));
            if (said != null && !said.equals(c.enumLabels())) {
                c = new Column(c.name(), c.type(), c.nullable(), c.key(), said);
                differs = true;
            }
            columns.add(c);
        }
        return differs ? shape.withDefinition(columns, shape.key(), shape.generated(), shape.inherits()) : shape;
    }

    /** The shape with the labels the stream said of the enums among its types (read from the catalog: maybe ahead). */
    private TableShape typesAsSaid(TableShape shape) {
        List<TypeDefinition> types = typesAsSaid(shape.types());
        return types.equals(shape.types()) ? shape : shape.withTypes(types);
    }

    /** The types, each enum among them with the labels the stream said of it (read from the catalog: maybe ahead). */
    List<TypeDefinition> typesAsSaid(List<TypeDefinition> read) {
        List<TypeDefinition> types = new ArrayList<>(read.size());
        for (TypeDefinition t : read) {
            List<String> said = "enum".equals(t.kind()) ? labels.get(List.of(t.schema(), t.name())) : null;
            if (said != null && !said.equals(t.labels())) {
                t = new TypeDefinition(t.schema(), t.name(), t.kind(), t.base(), t.notNull(), t.checks(), t.attributes(),
                        said, t.range(), t.extension(), t.renamedFrom());
            }
            types.add(t);
        }
        return types;
    }
}
