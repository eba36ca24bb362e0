package io.sluice.capture.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Maps Debezium data-change records to log-format events: the adapter edge, past which no
 * Debezium or Connect type travels. Not thread-safe.
 */
final class RecordMapper {

    private final TableShapes shapes;
    private final MessageGate gate;

    RecordMapper(TableShapes shapes, MessageGate gate) {
        this.shapes = shapes;
        this.gate = gate;
    }

    /**
     * The events for one row, truncate or message record: a schema event first when the table's
     * shape is new or changed, then the change itself. Each takes its header from {@code next}.
     */
    List<ChangeEvent> map(SourceRecord record, java.util.function.Supplier<EventHeader> next) {
        Struct value = (Struct) record.value();
        String op = value.getString("op");
        Struct source = value.getStruct("source");
        List<ChangeEvent> out = new ArrayList<>(2);
        switch (op) {
            case "m" -> {
                Struct message = value.getStruct("message");
                String prefix = message.getString("prefix");
                byte[] content = gate.admit(prefix, new Lsn(((Number) source.get("lsn")).longValue()), ValueMapper.bytes(message.get("content")));
                if (content == null) {
                    return out;
                }
                if (TableDrop.PREFIX.equals(prefix)) {
                    shapes.dropped(TableDrop.parse(content).table());
                }
                if (DdlTrigger.ROWS_PREFIX.equals(prefix) && !AttachedRows.holdsRows(content)) {
                    return out; // a table taken in empty: no row to carry
                }
                if (DdlTrigger.ROWS_PREFIX.equals(prefix)) {
                    throw new IllegalStateException("capture.engine=debezium cannot carry the rows a table held when it joined"
                            + " a partitioned table or a publication (ATTACH PARTITION, ALTER PUBLICATION ... ADD TABLE at source LSN "
                            + source.get("lsn") + "): no row change carries them, and only capture.engine=pgoutput turns the DDL"
                            + " triggers' rows into the stream's");
                }
                out.add(new ChangeEvent.Message(next.get(), true, prefix, content));
            }
            case "t" -> out.add(new ChangeEvent.Truncate(next.get(), List.of(table(source)), false, false));
            case "c", "r", "u", "d" -> {
                TableId table = table(source);
                Struct before = value.getStruct("before");
                Struct after = value.getStruct("after");
                Schema rowSchema = value.schema().field(after != null ? "after" : "before").schema();
                List<String> key = keyColumns(record);
                TableShapes.Shape shape = shapes.changed(table, rowSchema, Set.copyOf(key));
                if (shape != null) {
                    out.add(new ChangeEvent.SchemaChange(next.get(), table, shape.columns(),
                            shape.replicaIdentity()));
                }
                EventHeader h = next.get();
                out.add(switch (op) {
                    case "c", "r" -> new ChangeEvent.Insert(h, table, key, row(after, table));
                    case "u" -> new ChangeEvent.Update(h, table, key, before == null ? Map.of() : row(before, table),
                            row(after, table));
                    default -> new ChangeEvent.Delete(h, table, key, identityOf(row(before, table), key, table));
                });
            }
            default -> throw new IllegalArgumentException("unknown Debezium op '" + op + "' on " + record.topic());
        }
        return out;
    }

    /**
     * Under REPLICA IDENTITY DEFAULT or INDEX Debezium fills the non-key columns of a delete's
     * old row with NULLs the source never sent; keep only the key so no consumer mistakes them
     * for values.
     */
    private Map<String, Value> identityOf(Map<String, Value> before, List<String> key, TableId table) {
        if (key.isEmpty() || shapes.replicaIdentity(table) == ChangeEvent.ReplicaIdentity.FULL) {
            return before;
        }
        Map<String, Value> keyOnly = new LinkedHashMap<>();
        key.forEach(k -> keyOnly.put(k, before.get(k)));
        return keyOnly;
    }

    static TableId table(Struct source) {
        return new TableId(source.getString("schema"), source.getString("table"));
    }

    private static List<String> keyColumns(SourceRecord record) {
        if (record.keySchema() == null || record.key() == null) {
            return List.of();
        }
        Set<String> names = new LinkedHashSet<>();
        for (Field f : record.keySchema().fields()) {
            names.add(f.name());
        }
        return List.copyOf(names);
    }

    private static Map<String, Value> row(Struct struct, TableId table) {
        Map<String, Value> row = new LinkedHashMap<>();
        for (Field f : struct.schema().fields()) {
            try {
                row.put(f.name(), ValueMapper.map(f.schema(), struct.get(f), f.name()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(table + ": " + e.getMessage(), e);
            }
        }
        return row;
    }
}
