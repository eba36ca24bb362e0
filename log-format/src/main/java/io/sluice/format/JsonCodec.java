package io.sluice.format;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
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
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Version 1 of the log format: compact JSON (FORMAT.md). {@link EventCodec} chooses it by the
 * payload's first byte. Stateless and thread-safe.
 */
final class JsonCodec {

    static final int VERSION = 1;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(512 * 1024 * 1024)
                    .maxNestingDepth(64)
                    .build())
            .build();

    private JsonCodec() {
    }

    static byte[] encode(ChangeEvent event) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(JSON._getBufferRecycler(), 256);
             JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeEvent(g, event);
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding " + event.kind() + " event", e);
        }
    }

    static ChangeEvent decode(byte[] payload, int offset, int length) {
        try (JsonParser p = JSON.createParser(payload, offset, length)) {
            ChangeEvent event = new JsonEventReader(p).read();
            if (p.nextToken() != null) {
                throw new FormatException("trailing data after the event at byte " + p.currentTokenLocation().getByteOffset());
            }
            return event;
        } catch (JsonEOFException e) {
            throw new FormatException("truncated payload: it ends at byte " + length
                    + " inside " + e.getTokenBeingDecoded() + " (" + e.getOriginalMessage() + ")", e);
        } catch (JsonProcessingException e) {
            throw new FormatException("malformed payload at byte " + e.getLocation().getByteOffset() + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- encoding ----

    private static void writeEvent(JsonGenerator g, ChangeEvent event) throws IOException {
        if (event instanceof CopyEvent) {
            throw new IllegalArgumentException("a copy event exists from format version 3 on; version 1 has no form for it");
        }
        EventHeader h = event.header();
        g.writeStartObject();
        g.writeNumberField("v", VERSION);
        g.writeStringField("k", event.kind());
        g.writeStringField("src", h.source());
        g.writeStringField("lsn", h.commitLsn().toString());
        g.writeNumberField("xid", h.xid());
        g.writeNumberField("ts", EventCodec.toMicros(h.commitTime()));
        g.writeNumberField("seq", h.seq());
        if (h.epoch() != 0) {
            g.writeNumberField("epoch", h.epoch());
        }
        if (event instanceof Insert e) {
            writeTable(g, "table", e.table());
            writeKey(g, e.key());
            writeRow(g, "after", e.after());
        } else if (event instanceof Update e) {
            writeTable(g, "table", e.table());
            writeKey(g, e.key());
            if (!e.before().isEmpty()) {
                writeRow(g, "before", e.before());
            }
            writeRow(g, "after", e.after());
        } else if (event instanceof Delete e) {
            writeTable(g, "table", e.table());
            writeKey(g, e.key());
            writeRow(g, "before", e.before());
        } else if (event instanceof Truncate e) {
            g.writeArrayFieldStart("tables");
            for (TableId t : e.tables()) {
                writeTableValue(g, t);
            }
            g.writeEndArray();
            g.writeBooleanField("cascade", e.cascade());
            g.writeBooleanField("restartIdentity", e.restartIdentity());
        } else if (event instanceof SchemaChange e) {
            writeTable(g, "table", e.table());
            g.writeStringField("replicaIdentity", e.replicaIdentity().name());
            g.writeArrayFieldStart("columns");
            for (Column c : e.columns()) {
                g.writeStartObject();
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.type());
                g.writeBooleanField("nullable", c.nullable());
                g.writeBooleanField("key", c.key());
                if (!c.enumLabels().isEmpty()) {
                    g.writeArrayFieldStart("enum");
                    for (String label : c.enumLabels()) {
                        g.writeString(label);
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } else if (event instanceof Commit e) {
            g.writeNumberField("events", e.eventCount());
        } else if (event instanceof Message e) {
            g.writeBooleanField("transactional", e.transactional());
            g.writeStringField("prefix", e.prefix());
            g.writeFieldName("content");
            g.writeBinary(e.content());
        }
        // Begin and Heartbeat carry the header only.
        g.writeEndObject();
    }

    private static void writeTable(JsonGenerator g, String field, TableId table) throws IOException {
        g.writeFieldName(field);
        writeTableValue(g, table);
    }

    private static void writeTableValue(JsonGenerator g, TableId table) throws IOException {
        g.writeStartArray();
        g.writeString(table.schema());
        g.writeString(table.table());
        g.writeEndArray();
    }

    private static void writeKey(JsonGenerator g, List<String> key) throws IOException {
        g.writeArrayFieldStart("key");
        for (String k : key) {
            g.writeString(k);
        }
        g.writeEndArray();
    }

    private static void writeRow(JsonGenerator g, String field, Map<String, Value> row) throws IOException {
        g.writeObjectFieldStart(field);
        for (Map.Entry<String, Value> c : row.entrySet()) {
            g.writeFieldName(c.getKey());
            ValueCodec.write(g, c.getValue());
        }
        g.writeEndObject();
    }
}
