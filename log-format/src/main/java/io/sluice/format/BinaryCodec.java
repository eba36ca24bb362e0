package io.sluice.format;

import static io.sluice.format.BinaryTags.*;

import io.sluice.format.ChangeEvent.Begin;
import io.sluice.format.ChangeEvent.Commit;
import io.sluice.format.ChangeEvent.Delete;
import io.sluice.format.ChangeEvent.Heartbeat;
import io.sluice.format.ChangeEvent.Insert;
import io.sluice.format.ChangeEvent.Message;
import io.sluice.format.ChangeEvent.SchemaChange;
import io.sluice.format.ChangeEvent.Truncate;
import io.sluice.format.ChangeEvent.Update;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Version 2 of the log format: the same events and values as version 1, in a compact binary form
 * (FORMAT.md, "Version 2"). A payload starts with the byte {@code 0x00} (which no JSON text starts
 * with) and the version byte {@code 2}. Stateless and thread-safe; the decoder keeps a small shared
 * cache of identifier strings (source, schema, table and column names) so that the names repeated
 * in every event are neither allocated nor checked again.
 */
final class BinaryCodec {

    static final int VERSION = 2;
    /** Version 3: a run of consecutive events of one frame under one header (FORMAT.md). */
    static final int RUN_VERSION = 3;
    static final byte MAGIC = 0x00;

    private BinaryCodec() {
    }

    // ---- encoding ----

    static byte[] encode(ChangeEvent event) {
        if (event instanceof CopyEvent) {
            throw new IllegalArgumentException("a copy event exists from format version 3 on; write it in a run (RunEncoder)");
        }
        BinaryOut out = new BinaryOut(128);
        out.write(MAGIC);
        out.write(VERSION);
        out.write(kindCode(event));
        header(out, event.header());
        body(out, event, event.header().epoch());
        return out.toByteArray();
    }

    /** The header fields, in the order both binary versions write them. */
    static void header(BinaryOut out, EventHeader h) {
        out.string(h.source());
        out.varlong(h.commitLsn().value());
        out.varlong(h.xid());
        out.varlong(zigzag(EventCodec.toMicros(h.commitTime())));
        out.varlong(h.seq());
    }


    /** An event's body by kind, then its optional fields: the epoch when {@code epoch} is not 0. */
    static void body(BinaryOut out, ChangeEvent event, long epoch) {
        if (event instanceof Insert e) {
            table(out, e.table());
            strings(out, e.key());
            row(out, e.after());
        } else if (event instanceof Update e) {
            table(out, e.table());
            strings(out, e.key());
            row(out, e.before());
            row(out, e.after());
        } else if (event instanceof Delete e) {
            table(out, e.table());
            strings(out, e.key());
            row(out, e.before());
        } else if (event instanceof Truncate e) {
            out.varlong(e.tables().size());
            for (TableId t : e.tables()) {
                table(out, t);
            }
            out.write((e.cascade() ? 1 : 0) | (e.restartIdentity() ? 2 : 0));
        } else if (event instanceof SchemaChange e) {
            table(out, e.table());
            out.write(e.replicaIdentity().ordinal());
            out.varlong(e.columns().size());
            for (Column c : e.columns()) {
                out.string(c.name());
                out.string(c.type());
                out.write((c.nullable() ? 1 : 0) | (c.key() ? 2 : 0));
                strings(out, c.enumLabels());
            }
        } else if (event instanceof Commit e) {
            out.varlong(e.eventCount());
        } else if (event instanceof Message e) {
            out.write(e.transactional() ? 1 : 0);
            out.string(e.prefix());
            out.bytes(e.content());
        } else if (event instanceof CopyEvent e) {
            table(out, e.table());
            strings(out, e.key());
            strings(out, e.columns());
            out.varlong(e.rows());
            out.bytes(e.textArray());
        }
        // Begin and Heartbeat carry the header only.
        if (epoch == 0) {
            out.varlong(0);
        } else {
            out.varlong(1);
            out.varlong(EPOCH_FIELD);
            BinaryOut value = new BinaryOut(10);
            value.varlong(epoch);
            out.bytes(value.toByteArray());
        }
    }

    static int kindCode(ChangeEvent event) {
        if (event instanceof Begin) {
            return BEGIN;
        } else if (event instanceof Insert) {
            return INSERT;
        } else if (event instanceof Update) {
            return UPDATE;
        } else if (event instanceof Delete) {
            return DELETE;
        } else if (event instanceof Truncate) {
            return TRUNCATE;
        } else if (event instanceof SchemaChange) {
            return SCHEMA;
        } else if (event instanceof Commit) {
            return COMMIT;
        } else if (event instanceof Heartbeat) {
            return HEARTBEAT;
        } else if (event instanceof Message) {
            return MESSAGE;
        } else if (event instanceof CopyEvent) {
            return COPY;
        }
        throw new IllegalStateException("no version 2 form for " + event.getClass());
    }

    private static void table(BinaryOut out, TableId t) {
        out.string(t.schema());
        out.string(t.table());
    }

    private static void strings(BinaryOut out, List<String> list) {
        out.varlong(list.size());
        for (String s : list) {
            out.string(s);
        }
    }

    private static void row(BinaryOut out, Map<String, Value> row) {
        out.varlong(row.size());
        for (Map.Entry<String, Value> c : row.entrySet()) {
            out.string(c.getKey());
            try {
                value(out, c.getValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("column \"" + c.getKey() + "\" (" + c.getValue() + "): " + e.getMessage(), e);
            }
        }
    }

    private static void value(BinaryOut out, Value value) {
        if (value instanceof Value.Null) {
            out.write(T_NULL);
        } else if (value instanceof Value.Unchanged) {
            out.write(T_UNCHANGED);
        } else if (value instanceof Value.Bool v) {
            out.write(v.value() ? T_TRUE : T_FALSE);
        } else if (value instanceof Value.Int v) {
            out.write(T_INT);
            out.varlong(zigzag(v.value()));
        } else if (value instanceof Value.Numeric v) {
            out.write(T_NUMERIC);
            out.string(v.text());
        } else if (value instanceof Value.Float64 v) {
            out.write(T_FLOAT);
            out.fixed64(Double.doubleToRawLongBits(v.value()));
        } else if (value instanceof Value.Text v) {
            out.write(T_TEXT);
            v.writeTo(out);
        } else if (value instanceof Value.Json v) {
            out.write(T_JSON);
            out.string(v.value());
        } else if (value instanceof Value.Bytes v) {
            out.write(T_BYTES);
            out.bytes(v.value());
        } else if (value instanceof Value.Uuid v) {
            out.write(T_UUID);
            out.fixed64(v.value().getMostSignificantBits());
            out.fixed64(v.value().getLeastSignificantBits());
        } else if (value instanceof Value.Date v) {
            out.write(T_DATE);
            out.varlong(zigzag(v.value().toEpochDay()));
        } else if (value instanceof Value.Time v) {
            out.write(T_TIME);
            out.varlong(micros(v.value().toNanoOfDay(), "time"));
        } else if (value instanceof Value.TimeTz v) {
            out.write(T_TIMETZ);
            out.varlong(micros(v.value().toLocalTime().toNanoOfDay(), "timetz"));
            out.varlong(zigzag(v.value().getOffset().getTotalSeconds()));
        } else if (value instanceof Value.Timestamp v) {
            out.write(T_TIMESTAMP);
            LocalDateTime t = v.value();
            out.varlong(zigzag(pgMicros(t.toEpochSecond(ZoneOffset.UTC), t.getNano(), "timestamp")));
        } else if (value instanceof Value.TimestampTz v) {
            out.write(T_TIMESTAMPTZ);
            out.varlong(zigzag(pgMicros(v.value().getEpochSecond(), v.value().getNano(), "timestamptz")));
        } else if (value instanceof Value.Infinity v) {
            out.write(v.positive() ? T_PLUS_INFINITY : T_MINUS_INFINITY);
        } else if (value instanceof Value.Interval v) {
            out.write(T_INTERVAL);
            out.varlong(zigzag(v.months()));
            out.varlong(zigzag(v.days()));
            out.varlong(zigzag(v.micros()));
        } else if (value instanceof Value.Array v) {
            out.write(T_ARRAY);
            out.varlong(v.elements().size());
            for (Value e : v.elements()) {
                value(out, e);
            }
        } else {
            throw new IllegalStateException("no version 2 form for " + value.getClass());
        }
    }

    private static long micros(long nanos, String type) {
        if (nanos % 1000 != 0) {
            throw new IllegalArgumentException(type + " value has a precision finer than a microsecond (" + nanos
                    + " ns), which PostgreSQL cannot hold");
        }
        return nanos / 1000;
    }

    /** Microseconds since 2000-01-01 (PostgreSQL's own epoch: every timestamp PostgreSQL holds fits). */
    private static long pgMicros(long epochSecond, int nano, String type) {
        try {
            return Math.addExact(Math.multiplyExact(Math.subtractExact(epochSecond, PG_EPOCH_SECONDS), 1_000_000L),
                    micros(nano, type));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(type + " value is out of the 64-bit microsecond range", e);
        }
    }

}
