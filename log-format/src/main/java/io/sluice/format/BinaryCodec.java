package io.sluice.format;

import io.sluice.format.ChangeEvent.Begin;
import io.sluice.format.ChangeEvent.Commit;
import io.sluice.format.ChangeEvent.Delete;
import io.sluice.format.ChangeEvent.Heartbeat;
import io.sluice.format.ChangeEvent.Insert;
import io.sluice.format.ChangeEvent.Message;
import io.sluice.format.ChangeEvent.SchemaChange;
import io.sluice.format.ChangeEvent.Truncate;
import io.sluice.format.ChangeEvent.Update;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

    // Event kinds.
    private static final int BEGIN = 1;
    private static final int INSERT = 2;
    private static final int UPDATE = 3;
    private static final int DELETE = 4;
    private static final int TRUNCATE = 5;
    private static final int SCHEMA = 6;
    private static final int COMMIT = 7;
    private static final int HEARTBEAT = 8;
    private static final int MESSAGE = 9;
    private static final int COPY = 10;
    private static final String[] KIND_NAMES = {null, "begin", "insert", "update", "delete", "truncate", "schema",
            "commit", "heartbeat", "message", "copy"};

    // Value tags.
    private static final int T_NULL = 0;
    private static final int T_UNCHANGED = 1;
    private static final int T_FALSE = 2;
    private static final int T_TRUE = 3;
    private static final int T_INT = 4;
    private static final int T_NUMERIC = 5;
    private static final int T_FLOAT = 6;
    private static final int T_TEXT = 7;
    private static final int T_JSON = 8;
    private static final int T_BYTES = 9;
    private static final int T_UUID = 10;
    private static final int T_DATE = 11;
    private static final int T_TIME = 12;
    private static final int T_TIMETZ = 13;
    private static final int T_TIMESTAMP = 14;
    private static final int T_TIMESTAMPTZ = 15;
    private static final int T_PLUS_INFINITY = 16;
    private static final int T_MINUS_INFINITY = 17;
    private static final int T_INTERVAL = 18;
    private static final int T_ARRAY = 19;

    private static final ChangeEvent.ReplicaIdentity[] IDENTITIES = ChangeEvent.ReplicaIdentity.values();
    /** PostgreSQL's epoch, 2000-01-01T00:00:00Z, in seconds since 1970: timestamps are counted from it, as PostgreSQL does. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;
    private static final int MAX_ARRAY_DEPTH = 64;

    private BinaryCodec() {
    }

    // ---- encoding ----

    static byte[] encode(ChangeEvent event) {
        if (event instanceof CopyEvent) {
            throw new IllegalArgumentException("a copy event exists from format version 3 on; write it in a run (RunEncoder)");
        }
        Out out = new Out(128);
        out.write(MAGIC);
        out.write(VERSION);
        out.write(kindCode(event));
        header(out, event.header());
        body(out, event, event.header().epoch());
        return out.toByteArray();
    }

    /** The header fields, in the order both binary versions write them. */
    static void header(Out out, EventHeader h) {
        out.string(h.source());
        out.varlong(h.commitLsn().value());
        out.varlong(h.xid());
        out.varlong(zigzag(EventCodec.toMicros(h.commitTime())));
        out.varlong(h.seq());
    }

    /** Optional field 1: the event's epoch, written only when not 0 (FORMAT.md, "Epochs"). */
    static final int EPOCH_FIELD = 1;

    /** An event's body by kind, then its optional fields: the epoch when {@code epoch} is not 0. */
    static void body(Out out, ChangeEvent event, long epoch) {
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
            Out value = new Out(10);
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

    private static void table(Out out, TableId t) {
        out.string(t.schema());
        out.string(t.table());
    }

    private static void strings(Out out, List<String> list) {
        out.varlong(list.size());
        for (String s : list) {
            out.string(s);
        }
    }

    private static void row(Out out, Map<String, Value> row) {
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

    private static void value(Out out, Value value) {
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
            out.string(v.value());
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

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    /** A growable byte buffer. */
    static final class Out {
        private byte[] buf;
        private int len;

        Out(int capacity) {
            buf = new byte[capacity];
        }

        private void ensure(int more) {
            if (len + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
            }
        }

        void write(int b) {
            ensure(1);
            buf[len++] = (byte) b;
        }

        void varlong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
        }

        void fixed64(long v) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[len++] = (byte) (v >>> shift);
            }
        }

        void bytes(byte[] b) {
            varlong(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        void string(String s) {
            int n = s.length();
            boolean ascii = true;
            for (int i = 0; i < n; i++) {
                if (s.charAt(i) >= 0x80) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                varlong(n);
                ensure(n);
                s.getBytes(0, n, buf, len); // ASCII: one byte per char
                len += n;
                return;
            }
            ByteBuffer utf8;
            try {
                utf8 = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(s));
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("text is not valid Unicode (an unpaired surrogate), so it has no UTF-8 form: "
                        + e.getMessage(), e);
            }
            varlong(utf8.remaining());
            ensure(utf8.remaining());
            int size = utf8.remaining();
            utf8.get(buf, len, size);
            len += size;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }

        int length() {
            return len;
        }

        /** Drops what was written after {@code length} (an event that failed half-way). */
        void truncate(int length) {
            len = length;
        }

        void append(Out other) {
            ensure(other.len);
            System.arraycopy(other.buf, 0, buf, len, other.len);
            len += other.len;
        }
    }

    // ---- decoding ----

    /**
     * Decodes one version 2 payload; {@code offset} is the payload's first byte (the magic byte).
     *
     * @throws FormatException naming what is wrong and at which byte
     */
    static ChangeEvent decode(byte[] payload, int offset, int length) {
        return new In(payload, offset, length).event();
    }

    /** Decodes one version 3 payload (a run); {@code offset} is its magic byte. */
    static List<ChangeEvent> decodeRun(byte[] payload, int offset, int length) {
        return new In(payload, offset, length).run();
    }

    /** Reads one payload; keeps the position and the field being read so errors can say where. */
    private static final class In {
        private final byte[] buf;
        private final int start;
        private final int end;
        private int pos;
        private String field = "the header";
        private String column;
        private String kind;

        In(byte[] buf, int offset, int length) {
            this.buf = buf;
            this.start = offset;
            this.end = offset + length;
            this.pos = offset;
        }

        ChangeEvent event() {
            pos += 2; // magic and version, checked by EventCodec
            int code = kindCode(VERSION);
            EventHeader header = header();
            ChangeEvent event = body(code, header);
            long epoch = optionalFields();
            if (epoch != 0) {
                event = event.withHeader(header.withEpoch(epoch));
            }
            if (pos != end) {
                throw new FormatException("trailing data after the " + kind + " event at byte " + (pos - start));
            }
            return event;
        }

        /**
         * A version 3 run: one header, a count, then each event's kind, body and optional fields;
         * event {@code i} has the header's seq plus {@code i}. A BEGIN comes only first, a COMMIT
         * only last, and an event outside a frame (heartbeat, non-transactional message) alone.
         */
        List<ChangeEvent> run() {
            pos += 2;
            EventHeader first = header();
            field = "count";
            int n = count(2);
            if (n == 0) {
                throw fail("a run of no events");
            }
            List<ChangeEvent> events = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int code = kindCode(RUN_VERSION);
                if (code == BEGIN && i > 0 || code == COMMIT && i < n - 1) {
                    throw fail("a " + kind + " as event " + (i + 1) + " of a run of " + n
                            + " (a BEGIN comes only first, a COMMIT only last)");
                }
                ChangeEvent e = body(code, i == 0 ? first : first.withSeq(first.seq() + i));
                if (n > 1 && (e instanceof Heartbeat || e instanceof Message m && !m.transactional())) {
                    throw fail("a " + kind + " outside a frame in a run of " + n + " (it stands alone)");
                }
                long epoch = optionalFields();
                if (i == 0 && epoch != 0) {
                    // The run's header is shared: the epoch on its first event holds for every event of it.
                    first = first.withEpoch(epoch);
                    e = e.withHeader(first);
                }
                events.add(e);
            }
            if (pos != end) {
                throw new FormatException("trailing data after event " + n + " of the run at byte " + (pos - start));
            }
            return events;
        }

        private int kindCode(int version) {
            field = "the event kind";
            int code = need(1, "the event kind") & 0xFF;
            pos++;
            if (code < BEGIN || code > (version == RUN_VERSION ? COPY : MESSAGE)) {
                throw fail("unknown event kind code " + code + " in a version " + version + " payload");
            }
            kind = KIND_NAMES[code];
            return code;
        }

        private EventHeader header() {
            field = "src";
            String source = name();
            field = "lsn";
            Lsn lsn = new Lsn(varlong());
            field = "xid";
            long xid = varlong();
            field = "ts";
            long ts = unzigzag(varlong());
            field = "seq";
            long seq = varlong();
            try {
                return new EventHeader(source, lsn, xid, EventCodec.fromMicros(ts), seq);
            } catch (IllegalArgumentException | java.time.DateTimeException e) {
                throw new FormatException("invalid " + (kind == null ? "event" : kind + " event") + " header: " + e.getMessage(), e);
            }
        }

        private ChangeEvent body(int code, EventHeader header) {
            try {
                return code >= INSERT && code <= DELETE ? rowEvent(code, header) : otherEvent(code, header);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new FormatException("invalid " + kind + " event at " + header.commitLsn() + " xid " + header.xid()
                        + ": " + e.getMessage(), e);
            }
        }

        /**
         * Insert, update, delete. One call site reads every image, so the JIT compiles the row and
         * value decoding once here rather than once per image.
         */
        private ChangeEvent rowEvent(int code, EventHeader header) {
            TableId table = table("table");
            List<String> key = names("key");
            int images = code == UPDATE ? 2 : 1;
            Map<String, Value> first = null;
            Map<String, Value> second = null;
            for (int i = 0; i < images; i++) {
                Map<String, Value> image = row(i == 0 && code != INSERT ? "before" : "after");
                if (i == 0) {
                    first = image;
                } else {
                    second = image;
                }
            }
            return switch (code) {
                case INSERT -> new Insert(header, table, key, first);
                case UPDATE -> new Update(header, table, key, first, second);
                default -> new Delete(header, table, key, first);
            };
        }

        private ChangeEvent otherEvent(int code, EventHeader header) {
            return switch (code) {
                case BEGIN -> new Begin(header);
                case COMMIT -> {
                    field = "events";
                    yield new Commit(header, varlong());
                }
                case HEARTBEAT -> new Heartbeat(header);
                default -> rareEvent(code, header);
            };
        }

        private ChangeEvent rareEvent(int code, EventHeader header) {
            return switch (code) {
                case TRUNCATE -> {
                    field = "tables";
                    int n = count(2);
                    List<TableId> tables = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        tables.add(table("tables"));
                    }
                    int flags = flags("cascade/restartIdentity", 3);
                    yield new Truncate(header, tables, (flags & 1) != 0, (flags & 2) != 0);
                }
                case SCHEMA -> {
                    TableId table = table("table");
                    field = "replicaIdentity";
                    int identity = flags("replicaIdentity", IDENTITIES.length - 1);
                    yield new SchemaChange(header, table, columns(), IDENTITIES[identity]);
                }
                case MESSAGE -> {
                    field = "transactional";
                    boolean transactional = flags("transactional", 1) == 1;
                    field = "prefix";
                    String prefix = string();
                    field = "content";
                    yield new Message(header, transactional, prefix, bytes());
                }
                case COPY -> {
                    TableId table = table("table");
                    List<String> key = names("key");
                    List<String> columns = names("columns");
                    field = "rows";
                    long rows = varlong();
                    field = "text";
                    yield CopyEvent.wrap(header, table, key, columns, rows, bytes());
                }
                default -> throw new IllegalStateException("unreachable kind " + code);
            };
        }

        /** The optional fields (number, length, bytes): the epoch is returned (0 when absent), unknown ones are skipped. */
        private long optionalFields() {
            field = "the optional fields";
            int n = count(2);
            long epoch = 0;
            for (int i = 0; i < n; i++) {
                long number = varlong();
                int size = count(1);
                int after = pos + size;
                if (number == EPOCH_FIELD) {
                    field = "the epoch";
                    epoch = varlong();
                    if (pos != after || epoch < 0) {
                        throw fail("an epoch field of " + size + " bytes that is not one varint of at most 63 bits");
                    }
                    field = "the optional fields";
                }
                pos = after;
            }
            return epoch;
        }

        private TableId table(String what) {
            field = what;
            String schema = name();
            String table = name();
            try {
                return new TableId(schema, table);
            } catch (IllegalArgumentException e) {
                throw fail("field \"" + what + "\": " + e.getMessage());
            }
        }

        private List<String> names(String what) {
            field = what;
            int n = count(1);
            if (n == 1) {
                return List.of(name());
            }
            String[] names = new String[n];
            for (int i = 0; i < n; i++) {
                names[i] = name();
            }
            return List.of(names);
        }

        private Map<String, Value> row(String image) {
            field = image;
            int n = count(2);
            ChangeEvent.DecodedRow row = new ChangeEvent.DecodedRow(n);
            for (int i = 0; i < n; i++) {
                column = name();
                if (!row.addDecoded(column, value(0))) {
                    throw fail("the column appears twice");
                }
            }
            column = null;
            return row;
        }

        private List<Column> columns() {
            field = "columns";
            int n = count(4);
            List<Column> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                column = null;
                String name = name();
                column = name;
                String type = string();
                int flags = flags("nullable/key", 3);
                int labels = count(1);
                List<String> enumLabels = new ArrayList<>(labels);
                for (int l = 0; l < labels; l++) {
                    enumLabels.add(string());
                }
                try {
                    list.add(new Column(name, type, (flags & 1) != 0, (flags & 2) != 0, enumLabels));
                } catch (IllegalArgumentException e) {
                    throw fail("field \"columns\": " + e.getMessage());
                }
            }
            column = null;
            return list;
        }

        private Value value(int depth) {
            int tag = need(1, "a value tag") & 0xFF;
            pos++;
            try {
                return switch (tag) {
                    case T_NULL -> Value.Null.INSTANCE;
                    case T_UNCHANGED -> Value.Unchanged.INSTANCE;
                    case T_FALSE -> new Value.Bool(false);
                    case T_TRUE -> new Value.Bool(true);
                    case T_INT -> new Value.Int(unzigzag(varlong()));
                    case T_NUMERIC -> new Value.Numeric(string());
                    case T_FLOAT -> new Value.Float64(Double.longBitsToDouble(fixed64()));
                    case T_TEXT -> new Value.Text(string());
                    case T_JSON -> new Value.Json(string());
                    case T_BYTES -> new Value.Bytes(bytes());
                    case T_UUID -> new Value.Uuid(new UUID(fixed64(), fixed64()));
                    case T_DATE -> new Value.Date(LocalDate.ofEpochDay(unzigzag(varlong())));
                    case T_TIME -> new Value.Time(LocalTime.ofNanoOfDay(Math.multiplyExact(varlong(), 1000L)));
                    case T_TIMETZ -> {
                        LocalTime time = LocalTime.ofNanoOfDay(Math.multiplyExact(varlong(), 1000L));
                        yield new Value.TimeTz(OffsetTime.of(time, ZoneOffset.ofTotalSeconds(Math.toIntExact(unzigzag(varlong())))));
                    }
                    case T_TIMESTAMP -> {
                        long micros = unzigzag(varlong());
                        yield new Value.Timestamp(LocalDateTime.ofEpochSecond(PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
                                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC));
                    }
                    case T_TIMESTAMPTZ -> {
                        long micros = unzigzag(varlong());
                        yield new Value.TimestampTz(Instant.ofEpochSecond(PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
                                Math.floorMod(micros, 1_000_000L) * 1000));
                    }
                    case T_PLUS_INFINITY -> new Value.Infinity(true);
                    case T_MINUS_INFINITY -> new Value.Infinity(false);
                    case T_INTERVAL -> new Value.Interval(Math.toIntExact(unzigzag(varlong())),
                            Math.toIntExact(unzigzag(varlong())), unzigzag(varlong()));
                    case T_ARRAY -> {
                        if (depth >= MAX_ARRAY_DEPTH) {
                            throw fail("arrays nested deeper than " + MAX_ARRAY_DEPTH);
                        }
                        int n = count(1);
                        List<Value> elements = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            elements.add(value(depth + 1));
                        }
                        yield new Value.Array(elements);
                    }
                    default -> throw fail("unknown value tag " + tag);
                };
            } catch (java.time.DateTimeException | ArithmeticException | IllegalArgumentException e) {
                throw fail("bad value (tag " + tag + "): " + e.getMessage());
            }
        }

        private int flags(String what, int max) {
            int b = need(1, what) & 0xFF;
            pos++;
            if (b > max) {
                throw fail("\"" + what + "\" byte " + b + " is out of range 0.." + max);
            }
            return b;
        }

        /** A count of items of at least {@code minBytes} each: never more than the bytes left could hold. */
        private int count(int minBytes) {
            long n = varlong();
            if (n < 0 || n > (end - pos) / minBytes) {
                throw fail("a count of " + n + " items is more than the " + (end - pos) + " bytes left can hold (truncated?)");
            }
            return (int) n;
        }

        private long varlong() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1, "a number");
                byte b = buf[pos++];
                result |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    if (shift == 63 && (b & 0x7E) != 0) {
                        break;
                    }
                    return result;
                }
            }
            throw fail("a number longer than 64 bits");
        }

        private long fixed64() {
            need(8, "an 8-byte number");
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos++] & 0xFF);
            }
            return v;
        }

        private byte[] bytes() {
            int n = count(1);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return b;
        }

        /** A string that names something (source, schema, table, column): shared through the cache. */
        private String name() {
            int n = count(1);
            String s = NAMES.get(buf, pos, n);
            if (s == null) {
                s = utf8(n);
                NAMES.put(buf, pos, n, s);
            }
            pos += n;
            return s;
        }

        private String string() {
            int n = count(1);
            String s = utf8(n);
            pos += n;
            return s;
        }

        private String utf8(int n) {
            for (int i = pos; i < pos + n; i++) {
                if (buf[i] < 0) {
                    try {
                        return StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(buf, pos, n)).toString();
                    } catch (CharacterCodingException e) {
                        throw fail("text is not valid UTF-8");
                    }
                }
            }
            return new String(buf, pos, n, StandardCharsets.ISO_8859_1); // ASCII
        }

        private byte need(int n, String what) {
            if (end - pos < n) {
                throw new FormatException("truncated payload: it ends at byte " + (end - start) + " inside " + what
                        + " of " + where());
            }
            return buf[pos];
        }

        private String where() {
            return (kind == null ? "the event" : "the " + kind + " event") + ", field \"" + field + "\""
                    + (column == null ? "" : ", column \"" + column + "\"");
        }

        private FormatException fail(String reason) {
            return new FormatException(reason + " (" + where() + ", at byte " + (pos - start) + ")");
        }
    }

    /**
     * Identifier strings by their UTF-8 bytes, direct-mapped, shared by every thread: an entry is
     * immutable and replaced whole, so a reader sees an old entry or a new one, never half of one.
     */
    private static final Names NAMES = new Names();

    private static final class Names {
        private static final int SLOTS = 1024;
        private static final int MAX_LENGTH = 64;
        private final Entry[] slots = new Entry[SLOTS];

        private record Entry(byte[] bytes, String string) { }

        String get(byte[] buf, int pos, int n) {
            if (n > MAX_LENGTH) {
                return null;
            }
            Entry e = slots[slot(buf, pos, n)];
            return e != null && Arrays.equals(e.bytes, 0, e.bytes.length, buf, pos, pos + n) ? e.string : null;
        }

        void put(byte[] buf, int pos, int n, String s) {
            if (n <= MAX_LENGTH) {
                slots[slot(buf, pos, n)] = new Entry(Arrays.copyOfRange(buf, pos, pos + n), s);
            }
        }

        private static int slot(byte[] buf, int pos, int n) {
            int h = n;
            for (int i = pos; i < pos + n; i++) {
                h = 31 * h + buf[i];
            }
            h ^= h >>> 16;
            return h & (SLOTS - 1);
        }
    }
}
