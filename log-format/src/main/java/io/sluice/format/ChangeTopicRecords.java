package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The records of a keyed change topic (FORMAT.md, "Change topics"): the key is a JSON object of
 * the table's primary-key columns, the value a JSON object of the row's columns after the change
 * — each value in PostgreSQL's own text form ({@link SqlText}), or JSON {@code null} for SQL NULL —
 * and a delete is a tombstone (no value). Headers name the operation, the source transaction and
 * the columns an update left unchanged without sending them (TOASTed values). Stateless.
 */
public final class ChangeTopicRecords {

    /** {@code insert}, {@code update} or {@code delete}. */
    public static final String OP = "sluice.op";
    /** The source transaction's commit LSN, {@code X/Y}. */
    public static final String COMMIT_LSN = "sluice.commit_lsn";
    /** The source transaction's xid, decimal. */
    public static final String XID = "sluice.xid";
    /**
     * On an update: a JSON array of the columns whose values the source did not send because they
     * did not change (TOASTed); they are absent from the value and keep the key's previous values.
     */
    public static final String UNCHANGED = "sluice.unchanged";
    /**
     * The most bytes one record (key, value and headers) may take: change topics are made with this
     * {@code max.message.bytes}. A compacted topic keeps one record per key, so a row cannot be cut
     * across records as the stream's payloads are; a larger one is refused.
     */
    public static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxStringLength(1024 * 1024 * 1024).build())
            .build();

    private ChangeTopicRecords() {
    }

    /**
     * The key: {@code {"<column>": "<text>", …}} in the key's column order.
     *
     * @throws IllegalArgumentException when the table has no key or a key value is NULL or unsent
     */
    public static byte[] key(TableId table, List<String> key, Map<String, Value> row) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("table " + table + " has no primary key (nor replica identity index): a change"
                    + " topic is keyed by it");
        }
        StringBuilder json = new StringBuilder(16 + 16 * key.size()).append('{');
        for (String column : key) {
            Value v = row.get(column);
            if (v == null || v instanceof Value.Null || v instanceof Value.Unchanged) {
                throw new IllegalArgumentException("key column " + column + " of " + table + " has no value");
            }
            field(json, column, SqlText.of(v));
        }
        return utf8(json.append('}'));
    }

    /** The value: every column the row carries, but those left unchanged ({@link #unchanged}). */
    public static byte[] value(Map<String, Value> row) {
        StringBuilder json = new StringBuilder(32 * row.size()).append('{');
        for (Map.Entry<String, Value> c : row.entrySet()) {
            if (!(c.getValue() instanceof Value.Unchanged)) {
                field(json, c.getKey(), SqlText.of(c.getValue()));
            }
        }
        return utf8(json.append('}'));
    }

    /** The columns the row leaves unchanged, as the {@link #UNCHANGED} header's JSON array; null when there are none. */
    public static byte[] unchanged(Map<String, Value> row) {
        List<String> names = new ArrayList<>();
        row.forEach((column, v) -> {
            if (v instanceof Value.Unchanged) {
                names.add(column);
            }
        });
        if (names.isEmpty()) {
            return null;
        }
        StringBuilder json = new StringBuilder().append('[');
        for (String n : names) {
            string(json.append(json.length() > 1 ? "," : ""), n);
        }
        return utf8(json.append(']'));
    }

    // Written by hand rather than through a JsonGenerator: a generator per record cost more than the
    // record's text (docs/benchmarks.md, "Catch-up onto change topics").
    private static void field(StringBuilder json, String name, String text) {
        if (json.length() > 1) {
            json.append(',');
        }
        string(json, name).append(':');
        if (text == null) {
            json.append("null");
        } else {
            string(json, text);
        }
    }

    /** A JSON string: quote, backslash and control characters escaped; an unpaired surrogate has no UTF-8 and is refused. */
    private static StringBuilder string(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                json.append('\\').append(ch);
            } else if (ch < 0x20) {
                switch (ch) {
                    case '\n' -> json.append("\\n");
                    case '\t' -> json.append("\\t");
                    case '\r' -> json.append("\\r");
                    default -> json.append(String.format("\\u%04x", (int) ch));
                }
            } else if (Character.isSurrogate(ch)) {
                if (!Character.isHighSurrogate(ch) || i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new IllegalArgumentException("text with an unpaired surrogate at character " + i + " has no UTF-8 form");
                }
                json.append(ch).append(s.charAt(++i));
            } else {
                json.append(ch);
            }
        }
        return json.append('"');
    }

    private static byte[] utf8(StringBuilder json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A key or value read back: column → text, null for SQL NULL, in the record's order. */
    public static Map<String, String> parse(byte[] json) {
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FormatException("a change topic key or value is a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String column = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    out.put(column, null);
                } else if (t == JsonToken.VALUE_STRING) {
                    out.put(column, p.getText());
                } else {
                    throw new FormatException("column " + column + " of a change topic record is " + t + ", not a string or null");
                }
            }
        } catch (IOException e) {
            throw new FormatException("not a change topic record: " + e.getMessage(), e);
        }
        return out;
    }

    /** The {@link #UNCHANGED} header read back: the column names. */
    public static List<String> names(byte[] json) {
        List<String> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new FormatException("the " + UNCHANGED + " header is a JSON array");
            }
            while (p.nextToken() == JsonToken.VALUE_STRING) {
                out.add(p.getText());
            }
            if (p.currentToken() != JsonToken.END_ARRAY) {
                throw new FormatException("the " + UNCHANGED + " header holds only column names");
            }
        } catch (IOException e) {
            throw new FormatException("the " + UNCHANGED + " header is not JSON: " + e.getMessage(), e);
        }
        return out;
    }

    /** A header's text. */
    public static String text(byte[] header) {
        return header == null ? null : new String(header, StandardCharsets.UTF_8);
    }
}
