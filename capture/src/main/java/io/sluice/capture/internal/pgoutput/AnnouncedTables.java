package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The table shapes this capture has announced on its stream, and the announcing: a shape's types (a DDL message), its
 * schema event and its definition (a DDL message: generated columns, the tables it inherits from), written into the
 * open frame; and the tables a trigger's message says a table inherits from, announced before the message when the
 * publication has them, so a follower has a table's parents when it links the table to them. Not thread-safe: the
 * engine's thread.
 */
final class AnnouncedTables {

    private final FrameWriter frames;
    private final Function<TableId, Optional<TableShape>> published;
    private final Map<TableId, TableShape> announced = new HashMap<>();

    /** {@code published}: a table's shape as the catalog has it now, if the publication publishes the table. */
    AnnouncedTables(FrameWriter frames, Function<TableId, Optional<TableShape>> published) {
        this.frames = frames;
        this.published = published;
    }

    /** Writes the shape's announcement into the open frame; returns the shape. */
    TableShape announce(TableShape shape) {
        if (!shape.types().isEmpty()) {
            frames.add(shape.typeDefinitions(frames.next()));
        }
        frames.add(new ChangeEvent.SchemaChange(frames.next(), shape.table(), shape.columns(), shape.identity()));
        if (shape.hasDefinition()) {
            frames.add(shape.definition(frames.next()));
        }
        announced.put(shape.table(), shape);
        return shape;
    }

    /**
     * Announces those of {@code parents} — named as the trigger saw them: a shape read from the catalog now may name a
     * parent renamed since, which the stream has not renamed yet — that the publication has and this capture has not
     * announced.
     */
    void parentsFirst(List<TableId> parents) {
        for (TableId parent : parents) {
            if (!announced.containsKey(parent)) {
                published.apply(parent).ifPresent(this::announce);
            }
        }
    }

    /** Announces the shape unless it is the one last announced for its table; returns it. */
    TableShape ifChanged(TableShape shape) {
        TableShape last = announced.get(shape.table());
        if (last != shape && !shape.equals(last)) { // the same shape object row after row: no field-by-field look
            announce(shape);
        }
        return shape;
    }

    /** The shape last announced for the table, or null. */
    TableShape last(TableId table) {
        return announced.get(table);
    }

    /** Whether the table has been announced (and not dropped since). */
    boolean has(TableId table) {
        return announced.containsKey(table);
    }

    /** Forgets a dropped table: one made again under its name is announced anew. */
    void forget(TableId table) {
        announced.remove(table);
    }
}
