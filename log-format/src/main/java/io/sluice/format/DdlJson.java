package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a {@link DdlMessage}'s content, the UTF-8 JSON FORMAT.md describes ({@link DdlJsonWriter} writes it). Stateless. */
final class DdlJson {

    private static final JsonFactory JSON = new JsonFactory();

    private DdlJson() {
    }

    static DdlMessage parse(byte[] content) {
        try (JsonParser p = JSON.createParser(content)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the message");
            String schema = null;
            String name = null;
            boolean rewrite = false;
            boolean using = false;
            boolean rowsFollow = false;
            Map<String, List<String>> columnLists = new java.util.LinkedHashMap<>();
            boolean created = false;
            boolean trigger = false;
            List<String> renamed = new ArrayList<>();
            TableId renamedFrom = null;
            List<DdlMessage.DdlColumn> columns = new ArrayList<>();
            List<DdlMessage.Generated> generated = new ArrayList<>();
            List<TypeDefinition> types = new ArrayList<>();
            List<DdlMessage.GonePartition> gone = new ArrayList<>();
            List<TableId> inherits = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "table" -> {
                        expect(t, JsonToken.START_ARRAY, "table");
                        schema = nextText(p, "table schema");
                        name = nextText(p, "table name");
                        expect(p.nextToken(), JsonToken.END_ARRAY, "table");
                    }
                    case "renamed_from" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_ARRAY, "renamed_from");
                            String from = nextText(p, "renamed_from schema");
                            renamedFrom = new TableId(from, nextText(p, "renamed_from name"));
                            expect(p.nextToken(), JsonToken.END_ARRAY, "renamed_from");
                        }
                    }
                    case "volatile_rewrite" -> rewrite = t == JsonToken.VALUE_TRUE;
                    case "using_expression" -> using = t == JsonToken.VALUE_TRUE;
                    case "rows_follow" -> rowsFollow = t == JsonToken.VALUE_TRUE;
                    case "column_lists" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_OBJECT, "column_lists");
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String publication = p.currentName();
                                expect(p.nextToken(), JsonToken.START_ARRAY, "a column list");
                                List<String> names = new ArrayList<>();
                                while (p.nextToken() == JsonToken.VALUE_STRING) {
                                    names.add(p.getText());
                                }
                                columnLists.put(publication, names);
                            }
                        }
                    }
                    case "created" -> created = t == JsonToken.VALUE_TRUE;
                    case "trigger" -> trigger = t == JsonToken.VALUE_TRUE;
                    case "renamed_columns" -> {
                        expect(t, JsonToken.START_ARRAY, "renamed_columns");
                        while (p.nextToken() == JsonToken.VALUE_STRING) {
                            renamed.add(p.getText());
                        }
                    }
                    case "columns" -> {
                        expect(t, JsonToken.START_ARRAY, "columns");
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            columns.add(column(p));
                        }
                    }
                    case "types" -> types(p, t, types);
                    case "partitions_gone" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_ARRAY, "partitions_gone");
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                Map<String, Object> f = fields(p);
                                List<String> at = strings(f, "table", "a gone partition's table");
                                if (at.size() != 2) {
                                    throw new FormatException("a gone partition in a DDL message needs its table as [schema, name]");
                                }
                                gone.add(new DdlMessage.GonePartition(new TableId(at.get(0), at.get(1)), text(f, "rows"),
                                        flag(f, "collated", false)));
                            }
                        }
                    }
                    case "inherits" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_ARRAY, "inherits");
                            inherits = new ArrayList<>();
                            while (p.nextToken() == JsonToken.START_ARRAY) {
                                String parentSchema = nextText(p, "an inherited table's schema");
                                inherits.add(new TableId(parentSchema, nextText(p, "an inherited table's name")));
                                expect(p.nextToken(), JsonToken.END_ARRAY, "an inherited table");
                            }
                        }
                    }
                    case "generated" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_ARRAY, "generated");
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                generated.add(generated(p));
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            // Capture's own message of no columns carries types; the trigger's may describe a table whose last column
            // was dropped (its next ALTER, usually in the same migration, gives it columns again).
            if (schema == null || name == null || columns.isEmpty() && types.isEmpty() && !trigger) {
                throw new FormatException("a DDL message needs a table and its columns or types");
            }
            return new DdlMessage(new TableId(schema, name), columns, generated, types, rewrite, using, renamed, renamedFrom,
                    created, trigger, gone, rowsFollow, columnLists, inherits);
        } catch (IOException e) {
            throw new FormatException("a DDL message is not valid JSON: " + e.getMessage());
        }
    }

    /** A {@code types} array on its own, as {@code sluice.table_types} returns it. */
    static List<TypeDefinition> types(byte[] content) {
        try (JsonParser p = JSON.createParser(content)) {
            List<TypeDefinition> types = new ArrayList<>();
            types(p, p.nextToken(), types);
            return types;
        } catch (IOException e) {
            throw new FormatException("a DDL message's types are not valid JSON: " + e.getMessage());
        }
    }

    /** Reads a {@code types} array (or null) whose first token is {@code t} into {@code out}. */
    private static void types(JsonParser p, JsonToken t, List<TypeDefinition> out) throws IOException {
        if (t != JsonToken.VALUE_NULL) {
            expect(t, JsonToken.START_ARRAY, "types");
            while (p.nextToken() == JsonToken.START_OBJECT) {
                out.add(type(p));
            }
        }
    }

    private static DdlMessage.DdlColumn column(JsonParser p) throws IOException {
        Map<String, Object> f = fields(p);
        String name = text(f, "name");
        String type = text(f, "type");
        if (name == null || type == null) {
            throw new FormatException("a column of a DDL message needs a name and a type");
        }
        return new DdlMessage.DdlColumn(name, type, flag(f, "nullable", true), text(f, "missing"), flag(f, "has_default", true),
                text(f, "renamed_from"), text(f, "default"), qualified(f, "collation", "a column's"),
                f.get("key") instanceof Boolean b ? b : null);
    }

    private static DdlMessage.Generated generated(JsonParser p) throws IOException {
        Map<String, Object> f = fields(p);
        String name = text(f, "name");
        String type = text(f, "type");
        String expression = text(f, "expression");
        if (name == null || type == null || expression == null) {
            throw new FormatException("a generated column of a DDL message needs a name, a type and an expression");
        }
        return new DdlMessage.Generated(name, type, flag(f, "nullable", true), expression, flag(f, "stored", true),
                text(f, "renamed_from"));
    }

    /** A field's array of strings; {@code what} names it when an element is not a string. */
    private static List<String> strings(Map<String, Object> f, String field, String what) {
        List<String> out = new ArrayList<>();
        for (Object item : list(f, field)) {
            if (!(item instanceof String text)) {
                throw new FormatException(what + " in a DDL message are strings, found " + item);
            }
            out.add(text);
        }
        return out;
    }

    private static TypeDefinition type(JsonParser p) throws IOException {
        Map<String, Object> f = fields(p);
        List<String> checks = strings(f, "checks", "a domain's checks");
        List<TypeDefinition.Attribute> attributes = new ArrayList<>();
        for (Object item : list(f, "attributes")) {
            Map<?, ?> a = item instanceof Map<?, ?> m ? m : Map.of();
            if (!(a.get("name") instanceof String name) || !(a.get("type") instanceof String type)) {
                throw new FormatException("an attribute of a composite type in a DDL message needs a name and a type");
            }
            attributes.add(new TypeDefinition.Attribute(name, type));
        }
        List<String> labels = strings(f, "labels", "an enum's labels");
        String schema = text(f, "schema");
        String name = text(f, "name");
        String kind = text(f, "kind");
        String base = text(f, "base");
        String extension = text(f, "extension");
        boolean complete = switch (kind == null ? "" : kind) {
            case "domain", "range" -> base != null;
            case "composite" -> !attributes.isEmpty();
            case "enum" -> true; // an enum may have no labels yet
            case "extension" -> extension != null;
            default -> false;
        };
        if (schema == null || name == null || !complete) {
            throw new FormatException("a type of a DDL message needs a schema, a name and a kind: a domain its base type,"
                    + " a composite its attributes, a range its subtype (base), an enum, or an extension's type its"
                    + " extension");
        }
        List<String> renamedFrom = qualified(f, "renamed_from", "a type's");
        if (kind.equals("extension")) {
            return new TypeDefinition(schema, name, kind, null, false, List.of(), List.of(), List.of(), null, extension,
                    renamedFrom);
        }
        TypeDefinition.RangeParts range = null;
        if (kind.equals("range")) {
            range = new TypeDefinition.RangeParts(qualified(f, "collation", "a range type's"), qualified(f, "opclass", "a range type's"),
                    qualified(f, "multirange", "a range type's"));
        }
        return new TypeDefinition(schema, name, kind, base, flag(f, "not_null", false), checks, attributes, labels,
                range, null, renamedFrom);
    }

    /** A {@code [schema, name]} field of a type, or empty when absent; {@code whose} names it in an error. */
    private static List<String> qualified(Map<String, Object> f, String field, String whose) {
        List<String> parts = strings(f, field, whose + " " + field);
        if (!parts.isEmpty() && parts.size() != 2) {
            throw new FormatException(whose + " " + field + " in a DDL message must be [schema, name], not " + parts);
        }
        return parts;
    }

    /**
     * The fields of the object whose START_OBJECT was just read: text (numbers too, as their text),
     * booleans, null, and arrays of these or of objects; the parser ends on the END_OBJECT.
     */
    private static Map<String, Object> fields(JsonParser p) throws IOException {
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

    private static String text(Map<String, Object> fields, String name) {
        Object v = fields.get(name);
        return v == null ? null : v.toString();
    }

    /** A boolean field: only {@code false} (or {@code true}) says otherwise than {@code absent}. */
    private static boolean flag(Map<String, Object> fields, String name, boolean absent) {
        return fields.get(name) instanceof Boolean b ? b : absent;
    }

    private static List<?> list(Map<String, Object> fields, String name) {
        Object v = fields.get(name);
        if (v != null && !(v instanceof List<?>)) {
            throw new FormatException("a DDL message's " + name + " should be an array, found " + v);
        }
        return v == null ? List.of() : (List<?>) v;
    }

    private static String nextText(JsonParser p, String what) throws IOException {
        expect(p.nextToken(), JsonToken.VALUE_STRING, what);
        return p.getText();
    }

    private static void expect(JsonToken got, JsonToken wanted, String what) {
        if (got != wanted) {
            throw new FormatException("a DDL message's " + what + " should be " + wanted + ", found " + got);
        }
    }
}
