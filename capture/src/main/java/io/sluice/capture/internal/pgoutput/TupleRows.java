package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.pgoutput.PgOutputMessage.Tuple;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.Value;
import java.util.List;
import java.util.Map;

/**
 * A pgoutput tuple as the stream's row: every value in the server's own text form, its UTF-8 bytes
 * as they came; an unchanged TOASTed value as {@link Value.Unchanged}, never NULL. Stateless.
 */
final class TupleRows {

    private TupleRows() {
    }

    /** The relation's columns; only its key columns when {@code keyOnly} (pgoutput sends the others as NULL). */
    static Map<String, Value> row(TableShape shape, Tuple tuple, boolean keyOnly) {
        List<Column> columns = shape.columns();
        if (tuple.size() != columns.size()) {
            throw new IllegalStateException("a row of " + shape.table() + " has " + tuple.size() + " values for "
                    + columns.size() + " columns");
        }
        ChangeEvent.RowBuilder row = new ChangeEvent.RowBuilder(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (keyOnly && !c.key()) {
                continue;
            }
            row.add(c.name(), switch (tuple.kinds()[i]) {
                case Tuple.NULL -> Value.Null.INSTANCE;
                case Tuple.UNCHANGED -> Value.Unchanged.INSTANCE;
                case Tuple.TEXT -> text(shape, c, tuple.values()[i]);
                default -> throw new IllegalStateException("column " + c.name() + " of " + shape.table()
                        + " arrived in binary form, which capture does not request");
            });
        }
        return row.build();
    }

    /** A value's text as the server sent it (its UTF-8 bytes, kept as they came). */
    private static Value text(TableShape shape, Column c, byte[] bytes) {
        try {
            return Value.Text.ofUtf8(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("column " + c.name() + " (" + c.type() + ") of " + shape.table()
                    + " arrived as text that is not UTF-8: capture reads databases whose encoding is UTF8 only", e);
        }
    }
}
