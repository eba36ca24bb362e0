package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.util.HashMap;
import java.util.Map;

/**
 * The table shapes this capture has announced on its stream, and the announcing: a shape's types (a DDL message), its
 * schema event and its generated columns' definition (a DDL message), written into the open frame. Not thread-safe:
 * the engine's thread.
 */
final class AnnouncedTables {

    private final FrameWriter frames;
    private final Map<TableId, TableShape> announced = new HashMap<>();

    AnnouncedTables(FrameWriter frames) {
        this.frames = frames;
    }

    /** Writes the shape's announcement into the open frame; returns the shape. */
    TableShape announce(TableShape shape) {
        if (!shape.types().isEmpty()) {
            frames.add(shape.typeDefinitions(frames.next()));
        }
        frames.add(new ChangeEvent.SchemaChange(frames.next(), shape.table(), shape.columns(), shape.identity()));
        if (!shape.generated().isEmpty()) {
            frames.add(shape.definition(frames.next()));
        }
        announced.put(shape.table(), shape);
        return shape;
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
