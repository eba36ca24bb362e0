package io.sluice.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON object of a message's content read whole, and its fields taken as the messages' readers want them — text,
 * flags, arrays, {@code [schema, name]} pairs — each refused with a {@link FormatException} naming it when it is
 * something else ({@link DdlJson}, {@link SaidDefinitions}). Stateless.
 */
final class JsonFields {

    private JsonFields() {
    }

    /**
     * The fields of the object whose START_OBJECT was just read: text (numbers too, as their text),
     * booleans, null, and arrays of these or of objects; the parser ends on the END_OBJECT.
     */
    static Map<String, Object> fields(JsonParser p) throws IOException {
        Map<String, Object> fields = new HashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            fields.put(name, value(p, p.nextToken()));
        }
        return fields;
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            case START_OBJECT -> fields(p);
            case START_ARRAY -> {
                List<Object> items = new ArrayList<>();
                for (JsonToken item = p.nextToken(); item != JsonToken.END_ARRAY; item = p.nextToken()) {
                    items.add(value(p, item));
                }
                yield items;
            }
            default -> p.getText();
        };
    }

    static String text(Map<String, Object> fields, String name) {
        Object v = fields.get(name);
        return v == null ? null : v.toString();
    }

    /** A boolean field: only {@code false} (or {@code true}) says otherwise than {@code absent}. */
    static boolean flag(Map<String, Object> fields, String name, boolean absent) {
        return fields.get(name) instanceof Boolean b ? b : absent;
    }

    static List<?> list(Map<String, Object> fields, String name) {
        Object v = fields.get(name);
        if (v != null && !(v instanceof List<?>)) {
            throw new FormatException(name + " should be an array, found " + v);
        }
        return v == null ? List.of() : (List<?>) v;
    }

    /** A field's array of strings; {@code what} names it when an element is not a string. */
    static List<String> strings(Map<String, Object> f, String field, String what) {
        List<String> out = new ArrayList<>();
        for (Object item : list(f, field)) {
            if (!(item instanceof String text)) {
                throw new FormatException(what + " are strings, found " + item);
            }
            out.add(text);
        }
        return out;
    }

    /** A {@code [schema, name]} field, or empty when absent; {@code whose} names it in an error. */
    static List<String> qualified(Map<String, Object> f, String field, String whose) {
        List<String> parts = strings(f, field, whose + " " + field);
        if (!parts.isEmpty() && parts.size() != 2) {
            throw new FormatException(whose + " " + field + " must be [schema, name], not " + parts);
        }
        return parts;
    }
}
