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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decodes version 2 and 3 payloads (FORMAT.md): the header, each event's body by kind and its rows
 * (their values read by {@link BinaryIn#value}), refusing anything malformed with an error naming
 * the event, field, column and byte.
 */
final class BinaryDecoder extends BinaryIn {

    /**
     * Decodes one version 2 payload; {@code offset} is the payload's first byte (the magic byte).
     *
     * @throws FormatException naming what is wrong and at which byte
     */
    static ChangeEvent decode(byte[] payload, int offset, int length) {
        return new BinaryDecoder(payload, offset, length).event();
    }

    /** Decodes one version 3 payload (a run); {@code offset} is its magic byte. */
    static List<ChangeEvent> decodeRun(byte[] payload, int offset, int length) {
        return new BinaryDecoder(payload, offset, length).run();
    }

    private BinaryDecoder(byte[] buf, int offset, int length) {
        super(buf, offset, length);
    }

    ChangeEvent event() {
        pos += 2; // magic and version, checked by EventCodec
        int code = kindCode(BinaryCodec.VERSION);
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
            int code = kindCode(BinaryCodec.RUN_VERSION);
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
        if (code < BEGIN || code > (version == BinaryCodec.RUN_VERSION ? COPY : MESSAGE)) {
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
        EventRow row = new EventRow(n);
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
}
