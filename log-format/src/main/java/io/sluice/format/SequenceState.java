package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The primary's sequences as capture last read them (FORMAT.md, "Sequences"): PostgreSQL's
 * logical decoding does not carry sequence changes, so capture sends their definitions and values
 * on the stream, and a follower that is promoted sets each sequence past every value the old
 * primary handed out. A non-transactional {@link ChangeEvent.Message} with prefix
 * {@link #PREFIX}; its content is UTF-8 JSON, an array of {@link Sequence}.
 */
public record SequenceState(List<Sequence> sequences) {

    /** The message prefix. */
    public static final String PREFIX = "sluice.sequences";
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One sequence.
     *
     * @param type      {@code smallint}, {@code integer} or {@code bigint}
     * @param lastValue the last value handed out, null when none was yet
     * @param ownedBy   the table of the column that owns it (a serial or identity column), or null
     * @param column    that column, or null
     * @param identity  {@code a} for GENERATED ALWAYS AS IDENTITY, {@code d} for BY DEFAULT, null
     *                  for a serial column (the column's default is {@code nextval}) or none
     */
    public record Sequence(String schema, String name, String type, long start, long min, long max, long increment,
                           boolean cycle, long cache, Long lastValue, TableId ownedBy, String column, String identity) {
        public Sequence {
            Objects.requireNonNull(schema, "schema");
            Objects.requireNonNull(name, "name");
            if (!List.of("smallint", "integer", "bigint").contains(type)) {
                throw new IllegalArgumentException("sequence " + schema + "." + name + " has type '" + type
                        + "', not smallint, integer or bigint");
            }
            if (increment == 0) {
                throw new IllegalArgumentException("sequence " + schema + "." + name + " has increment 0");
            }
            if ((ownedBy == null) != (column == null)) {
                throw new IllegalArgumentException("sequence " + schema + "." + name + ": owning table and column go together");
            }
            if (identity != null && !identity.equals("a") && !identity.equals("d") || identity != null && column == null) {
                throw new IllegalArgumentException("sequence " + schema + "." + name + ": identity '" + identity
                        + "' is not a or d of an owning column");
            }
        }
    }

    public SequenceState {
        sequences = List.copyOf(sequences);
    }

    /** Whether {@code m} carries sequence state. */
    public static boolean is(ChangeEvent.Message m) {
        return !m.transactional() && m.prefix().equals(PREFIX);
    }

    public byte[] content() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            for (Sequence s : sequences) {
                g.writeStartObject();
                g.writeStringField("schema", s.schema());
                g.writeStringField("name", s.name());
                g.writeStringField("type", s.type());
                g.writeNumberField("start", s.start());
                g.writeNumberField("min", s.min());
                g.writeNumberField("max", s.max());
                g.writeNumberField("increment", s.increment());
                g.writeBooleanField("cycle", s.cycle());
                g.writeNumberField("cache", s.cache());
                if (s.lastValue() != null) {
                    g.writeNumberField("last_value", s.lastValue());
                }
                if (s.ownedBy() != null) {
                    g.writeArrayFieldStart("owned_by");
                    g.writeString(s.ownedBy().schema());
                    g.writeString(s.ownedBy().table());
                    g.writeString(s.column());
                    g.writeEndArray();
                }
                if (s.identity() != null) {
                    g.writeStringField("identity", s.identity());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads the content; unknown fields are ignored. */
    public static SequenceState parse(byte[] content) {
        List<Sequence> list = new ArrayList<>();
        try (JsonParser p = JSON.createParser(content)) {
            expect(p.nextToken() == JsonToken.START_ARRAY, "an array of sequences");
            while (p.nextToken() == JsonToken.START_OBJECT) {
                list.add(sequence(p));
            }
            expect(p.currentToken() == JsonToken.END_ARRAY && p.nextToken() == null, "the end of the array");
        } catch (IOException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
        return new SequenceState(list);
    }

    private static Sequence sequence(JsonParser p) throws IOException {
        String schema = null;
        String name = null;
        String type = null;
        String identity = null;
        long[] numbers = new long[6]; // start, min, max, increment, cache, last_value
        boolean cycle = false;
        boolean hasLast = false;
        TableId owner = null;
        String column = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "schema" -> schema = text(p, t, field);
                case "name" -> name = text(p, t, field);
                case "type" -> type = text(p, t, field);
                case "identity" -> identity = text(p, t, field);
                case "start" -> numbers[0] = number(p, t, field);
                case "min" -> numbers[1] = number(p, t, field);
                case "max" -> numbers[2] = number(p, t, field);
                case "increment" -> numbers[3] = number(p, t, field);
                case "cache" -> numbers[4] = number(p, t, field);
                case "last_value" -> {
                    numbers[5] = number(p, t, field);
                    hasLast = true;
                }
                case "cycle" -> {
                    expect(t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE, "a boolean for cycle");
                    cycle = t == JsonToken.VALUE_TRUE;
                }
                case "owned_by" -> {
                    expect(t == JsonToken.START_ARRAY, "[schema, table, column] for owned_by");
                    String s = text(p, p.nextToken(), field);
                    String n = text(p, p.nextToken(), field);
                    column = text(p, p.nextToken(), field);
                    expect(p.nextToken() == JsonToken.END_ARRAY, "[schema, table, column] for owned_by");
                    owner = new TableId(s, n);
                }
                default -> p.skipChildren();
            }
        }
        expect(schema != null && name != null && type != null, "schema, name and type of every sequence");
        return new Sequence(schema, name, type, numbers[0], numbers[1], numbers[2], numbers[3], cycle, numbers[4],
                hasLast ? numbers[5] : null, owner, column, identity);
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException {
        expect(t == JsonToken.VALUE_STRING, "a string for " + field);
        return p.getText();
    }

    private static long number(JsonParser p, JsonToken t, String field) throws IOException {
        expect(t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER,
                "a 64-bit integer for " + field);
        return p.getLongValue();
    }

    private static void expect(boolean ok, String what) {
        if (!ok) {
            throw new FormatException("bad " + PREFIX + " message: expected " + what);
        }
    }
}
