package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
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
                                Map<String, Object> f = JsonFields.fields(p);
                                List<String> at = JsonFields.strings(f, "table", "a gone partition's table");
                                if (at.size() != 2) {
                                    throw new FormatException("a gone partition in a DDL message needs its table as [schema, name]");
                                }
                                gone.add(new DdlMessage.GonePartition(new TableId(at.get(0), at.get(1)), JsonFields.text(f, "rows"),
                                        JsonFields.flag(f, "collated", false)));
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
        Map<String, Object> f = JsonFields.fields(p);
        String name = JsonFields.text(f, "name");
        String type = JsonFields.text(f, "type");
        if (name == null || type == null) {
            throw new FormatException("a column of a DDL message needs a name and a type");
        }
        return new DdlMessage.DdlColumn(name, type, JsonFields.flag(f, "nullable", true), JsonFields.text(f, "missing"), JsonFields.flag(f, "has_default", true),
                JsonFields.text(f, "renamed_from"), JsonFields.text(f, "default"), JsonFields.qualified(f, "collation", "a column's"),
                f.get("key") instanceof Boolean b ? b : null);
    }

    private static DdlMessage.Generated generated(JsonParser p) throws IOException {
        return generated(JsonFields.fields(p));
    }

    /** A generated column from its object's fields ({@link SaidDefinitions} too). */
    static DdlMessage.Generated generated(Map<String, Object> f) {
        String name = JsonFields.text(f, "name");
        String type = JsonFields.text(f, "type");
        String expression = JsonFields.text(f, "expression");
        if (name == null || type == null || expression == null) {
            throw new FormatException("a generated column of a DDL message needs a name, a type and an expression");
        }
        String place = JsonFields.text(f, "place");
        try {
            return new DdlMessage.Generated(name, type, JsonFields.flag(f, "nullable", true), expression, JsonFields.flag(f, "stored", true),
                    JsonFields.text(f, "renamed_from"), place == null ? null : Integer.valueOf(place));
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new FormatException("generated column " + name + " of a DDL message: place " + place + " is not a count of columns");
        }
    }

    private static TypeDefinition type(JsonParser p) throws IOException {
        Map<String, Object> f = JsonFields.fields(p);
        List<String> checks = JsonFields.strings(f, "checks", "a domain's checks");
        List<TypeDefinition.Attribute> attributes = new ArrayList<>();
        for (Object item : JsonFields.list(f, "attributes")) {
            Map<?, ?> a = item instanceof Map<?, ?> m ? m : Map.of();
            if (!(a.get("name") instanceof String name) || !(a.get("type") instanceof String type)) {
                throw new FormatException("an attribute of a composite type in a DDL message needs a name and a type");
            }
            attributes.add(new TypeDefinition.Attribute(name, type));
        }
        List<String> labels = JsonFields.strings(f, "labels", "an enum's labels");
        String schema = JsonFields.text(f, "schema");
        String name = JsonFields.text(f, "name");
        String kind = JsonFields.text(f, "kind");
        String base = JsonFields.text(f, "base");
        String extension = JsonFields.text(f, "extension");
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
        List<String> renamedFrom = JsonFields.qualified(f, "renamed_from", "a type's");
        if (kind.equals("extension")) {
            return new TypeDefinition(schema, name, kind, null, false, List.of(), List.of(), List.of(), null, extension,
                    renamedFrom);
        }
        TypeDefinition.RangeParts range = null;
        if (kind.equals("range")) {
            range = new TypeDefinition.RangeParts(JsonFields.qualified(f, "collation", "a range type's"), JsonFields.qualified(f, "opclass", "a range type's"),
                    JsonFields.qualified(f, "multirange", "a range type's"));
        }
        return new TypeDefinition(schema, name, kind, base, JsonFields.flag(f, "not_null", false), checks, attributes, labels,
                range, null, renamedFrom);
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
