package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A table the primary dropped (FORMAT.md, *Dropped tables*): a transactional
 * {@link ChangeEvent.Message} with prefix {@link #PREFIX}, written by the DDL triggers inside the
 * DROP's own transaction, so a follower drops its table at that position. Its content is UTF-8 JSON,
 * {@code {"table": [schema, name], "publications": [name, …]}}: the publications that published the
 * table as itself (capture passes the message on only when its own is among them).
 */
public record TableDrop(TableId table, List<String> publications) {

    /** The message prefix. */
    public static final String PREFIX = "sluice.drop";

    private static final JsonFactory JSON = new JsonFactory();

    public TableDrop {
        if (table == null) {
            throw new IllegalArgumentException("a dropped table is named");
        }
        publications = List.copyOf(publications);
    }

    /** Whether {@code m} is such a message. */
    public static boolean is(ChangeEvent.Message m) {
        return m.transactional() && m.prefix().equals(PREFIX);
    }

    /** Reads a message's content; a malformed one is a {@link FormatException} saying what is wrong. */
    public static TableDrop parse(byte[] content) {
        TableId table = null;
        List<String> publications = new ArrayList<>();
        try (JsonParser p = JSON.createParser(content)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FormatException("bad " + PREFIX + " message: not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    p.skipChildren(); // a newer writer's field
                    continue;
                }
                List<String> values = new ArrayList<>();
                while (p.nextToken() == JsonToken.VALUE_STRING) {
                    values.add(p.getText());
                }
                if (p.currentToken() != JsonToken.END_ARRAY) {
                    throw new FormatException("bad " + PREFIX + " message: " + field + " holds something other than strings");
                }
                if (field.equals("table")) {
                    if (values.size() != 2) {
                        throw new FormatException("bad " + PREFIX + " message: table is not [schema, name]");
                    }
                    table = new TableId(values.get(0), values.get(1));
                } else if (field.equals("publications")) {
                    publications = values;
                }
            }
        } catch (IOException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
        if (table == null) {
            throw new FormatException("bad " + PREFIX + " message: it names no table");
        }
        return new TableDrop(table, publications);
    }

    /** The message's content, as {@link #parse} reads it. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("table");
            g.writeString(table.schema());
            g.writeString(table.table());
            g.writeEndArray();
            g.writeArrayFieldStart("publications");
            for (String p : publications) {
                g.writeString(p);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
