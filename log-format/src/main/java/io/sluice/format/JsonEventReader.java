package io.sluice.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.format.ChangeEvent.Begin;
import io.sluice.format.ChangeEvent.Commit;
import io.sluice.format.ChangeEvent.Delete;
import io.sluice.format.ChangeEvent.Heartbeat;
import io.sluice.format.ChangeEvent.Insert;
import io.sluice.format.ChangeEvent.Message;
import io.sluice.format.ChangeEvent.SchemaChange;
import io.sluice.format.ChangeEvent.Truncate;
import io.sluice.format.ChangeEvent.Update;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads one version 1 (JSON) event object; keeps the field being read so errors can say where. */
final class JsonEventReader {
    private final JsonParser p;
    private String source;
    private Lsn lsn;
    private Long xid;
    private Long ts;
    private Long seq;
    private Long epoch;
    private String kind;
    private TableId table;
    private List<String> key;
    private Map<String, Value> before;
    private Map<String, Value> after;
    private List<TableId> tables;
    private Boolean cascade;
    private Boolean restartIdentity;
    private List<Column> columns;
    private ChangeEvent.ReplicaIdentity replicaIdentity;
    private Long events;
    private Boolean transactional;
    private String prefix;
    private byte[] content;

    JsonEventReader(JsonParser p) {
        this.p = p;
    }

    ChangeEvent read() throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw fail("expected a JSON object");
        }
        if (p.nextToken() != JsonToken.FIELD_NAME || !"v".equals(p.currentName())) {
            throw fail("the first field must be the format version \"v\"");
        }
        p.nextToken();
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw fail("format version \"v\" must be an integer");
        }
        int version = p.getIntValue();
        if (version != JsonCodec.VERSION) {
            throw EventCodec.SUPPORTED_VERSIONS.contains(version)
                    ? fail("format version " + version + " is binary (FORMAT.md), never JSON")
                    : EventCodec.unsupported(version);
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            readField(field);
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw fail("expected a field name or the end of the event");
        }
        return build();
    }

    private void readField(String field) throws IOException {
        switch (field) {
            case "k" -> kind = string(field);
            case "src" -> source = string(field);
            case "lsn" -> {
                String text = string(field);
                try {
                    lsn = Lsn.parse(text);
                } catch (IllegalArgumentException e) {
                    throw fail("field \"lsn\": " + e.getMessage());
                }
            }
            case "xid" -> xid = integer(field);
            case "ts" -> ts = integer(field);
            case "seq" -> seq = integer(field);
            case "epoch" -> epoch = integer(field);
            case "table" -> table = tableId(field);
            case "key" -> key = strings(field);
            case "before" -> before = row(field);
            case "after" -> after = row(field);
            case "tables" -> {
                expect(JsonToken.START_ARRAY, field, "an array of tables");
                tables = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    tables.add(tableIdHere(field));
                }
            }
            case "cascade" -> cascade = bool(field);
            case "restartIdentity" -> restartIdentity = bool(field);
            case "replicaIdentity" -> {
                String text = string(field);
                try {
                    replicaIdentity = ChangeEvent.ReplicaIdentity.valueOf(text);
                } catch (IllegalArgumentException e) {
                    throw fail("field \"replicaIdentity\": unknown value '" + text + "'");
                }
            }
            case "columns" -> columns = columns(field);
            case "events" -> events = integer(field);
            case "transactional" -> transactional = bool(field);
            case "prefix" -> prefix = string(field);
            case "content" -> {
                expect(JsonToken.VALUE_STRING, field, "base64 text");
                content = p.getBinaryValue();
            }
            // Unknown fields are allowed within a version (FORMAT.md, compatibility rules).
            default -> p.skipChildren();
        }
    }

    private ChangeEvent build() {
        require(kind, "k");
        EventHeader header;
        try {
            header = new EventHeader(require(source, "src"), require(lsn, "lsn"), require(xid, "xid"),
                    EventCodec.fromMicros(require(ts, "ts")), require(seq, "seq"), epoch == null ? 0 : epoch);
        } catch (IllegalArgumentException e) {
            throw new FormatException("invalid " + kind + " event header: " + e.getMessage(), e);
        }
        try {
            return switch (kind) {
                case "begin" -> new Begin(header);
                case "insert" -> new Insert(header, require(table, "table"), require(key, "key"), require(after, "after"));
                case "update" -> new Update(header, require(table, "table"), require(key, "key"),
                        before == null ? Map.of() : before, require(after, "after"));
                case "delete" -> new Delete(header, require(table, "table"), require(key, "key"), require(before, "before"));
                case "truncate" -> new Truncate(header, require(tables, "tables"), require(cascade, "cascade"),
                        require(restartIdentity, "restartIdentity"));
                case "schema" -> new SchemaChange(header, require(table, "table"), require(columns, "columns"),
                        require(replicaIdentity, "replicaIdentity"));
                case "commit" -> new Commit(header, require(events, "events"));
                case "heartbeat" -> new Heartbeat(header);
                case "message" -> new Message(header, require(transactional, "transactional"),
                        require(prefix, "prefix"), require(content, "content"));
                default -> throw new FormatException("unknown event kind '" + kind + "' in a version "
                        + JsonCodec.VERSION + " payload");
            };
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new FormatException("invalid " + kind + " event at " + header.commitLsn() + " xid " + header.xid()
                    + ": " + e.getMessage(), e);
        }
    }

    private <T> T require(T value, String field) {
        if (value == null) {
            throw new FormatException((kind == null ? "event" : kind + " event") + " is missing the required field \""
                    + field + "\"");
        }
        return value;
    }

    private Map<String, Value> row(String field) throws IOException {
        expect(JsonToken.START_OBJECT, field, "an object of column values");
        Map<String, Value> row = new EventRow();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String column = p.currentName();
            p.nextToken();
            try {
                if (row.put(column, ValueCodec.read(p)) != null) {
                    throw fail("column \"" + column + "\" appears twice in \"" + field + "\"");
                }
            } catch (FormatException e) {
                throw new FormatException("in \"" + field + "\" column \"" + column + "\": " + e.getMessage(), e);
            }
        }
        return row;
    }

    private List<Column> columns(String field) throws IOException {
        expect(JsonToken.START_ARRAY, field, "an array of columns");
        List<Column> list = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            String name = null;
            String type = null;
            Boolean nullable = null;
            Boolean isKey = null;
            List<String> labels = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                switch (f) {
                    case "name" -> name = string(field + ".name");
                    case "type" -> type = string(field + ".type");
                    case "nullable" -> nullable = bool(field + ".nullable");
                    case "key" -> isKey = bool(field + ".key");
                    case "enum" -> labels = strings(field + ".enum");
                    default -> p.skipChildren();
                }
            }
            try {
                list.add(new Column(require(name, "columns.name"), require(type, "columns.type"),
                        require(nullable, "columns.nullable"), require(isKey, "columns.key"), labels));
            } catch (IllegalArgumentException e) {
                throw fail("field \"columns\": " + e.getMessage());
            }
        }
        if (p.currentToken() != JsonToken.END_ARRAY) {
            throw fail("field \"columns\" must hold column objects");
        }
        return list;
    }

    private TableId tableId(String field) throws IOException {
        return tableIdHere(field);
    }

    private TableId tableIdHere(String field) throws IOException {
        expect(JsonToken.START_ARRAY, field, "[schema, table]");
        List<String> parts = new ArrayList<>(2);
        while (p.nextToken() == JsonToken.VALUE_STRING) {
            parts.add(p.getText());
        }
        if (p.currentToken() != JsonToken.END_ARRAY || parts.size() != 2) {
            throw fail("field \"" + field + "\" must be [schema, table]");
        }
        try {
            return new TableId(parts.get(0), parts.get(1));
        } catch (IllegalArgumentException e) {
            throw fail("field \"" + field + "\": " + e.getMessage());
        }
    }

    private List<String> strings(String field) throws IOException {
        expect(JsonToken.START_ARRAY, field, "an array of strings");
        List<String> list = new ArrayList<>();
        while (p.nextToken() == JsonToken.VALUE_STRING) {
            list.add(p.getText());
        }
        if (p.currentToken() != JsonToken.END_ARRAY) {
            throw fail("field \"" + field + "\" must be an array of strings");
        }
        return list;
    }

    private String string(String field) throws IOException {
        expect(JsonToken.VALUE_STRING, field, "a string");
        return p.getText();
    }

    private long integer(String field) throws IOException {
        expect(JsonToken.VALUE_NUMBER_INT, field, "an integer");
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw fail("field \"" + field + "\" is out of the 64-bit range");
        }
        return p.getLongValue();
    }

    private boolean bool(String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
            throw fail("field \"" + field + "\" must be true or false, found " + t);
        }
        return t == JsonToken.VALUE_TRUE;
    }

    private void expect(JsonToken token, String field, String what) {
        if (p.currentToken() != token) {
            throw fail("field \"" + field + "\" must be " + what + ", found " + p.currentToken());
        }
    }

    private FormatException fail(String reason) {
        return new FormatException(reason + " (at byte " + p.currentTokenLocation().getByteOffset() + ")");
    }
}
