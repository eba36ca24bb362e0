package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A table's definition right after an {@code ALTER TABLE} on the source, as capture's event
 * trigger writes it: a transactional {@link ChangeEvent.Message} with prefix {@link #PREFIX}
 * inside the ALTER's own frame (FORMAT.md, *DDL messages*). It tells a consumer at the exact
 * position what the rows alone cannot: the value that rows existing before an {@code ADD COLUMN}
 * have in it, a column dropped before the table's next write, and whether the source rewrote
 * the table with values the consumer cannot compute (a volatile default).
 *
 * @param table           the table altered
 * @param columns         its columns after the ALTER, in table order (generated columns left out)
 * @param generated       its generated columns, in table order, with the expressions that compute them
 * @param types           the domains and composite types its columns use that are not built in, each
 *                        after the types it depends on (a message may carry only these, and no columns)
 * @param volatileRewrite the source rewrote every row with a default computed per row
 * @param usingExpression the source rewrote a column to a new type with an expression of its own
 *                        ({@code ALTER COLUMN … TYPE … USING}), not the type's cast
 * @param renamedColumns  the new names of columns the ALTER renamed (their old names are not known)
 */
public record DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                         boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns) {

    /** The message prefix capture's event trigger writes. */
    public static final String PREFIX = "sluice.ddl";

    private static final JsonFactory JSON = new JsonFactory();

    public DdlMessage {
        columns = List.copyOf(columns);
        generated = List.copyOf(generated);
        types = List.copyOf(types);
        renamedColumns = List.copyOf(renamedColumns);
    }

    /** A message that carries only the definitions of types a table's columns use. */
    public static DdlMessage typesOnly(TableId table, List<TypeDefinition> types) {
        return new DdlMessage(table, List.of(), List.of(), types, false, false, List.of());
    }

    /**
     * One column after the ALTER.
     *
     * @param missing    the value rows written before the column was added have in it (PostgreSQL's
     *                   {@code attmissingval}, as its text), or null when there is none
     * @param hasDefault the column has a default (a message without the field: assumed so)
     */
    public record DdlColumn(String name, String type, boolean nullable, String missing, boolean hasDefault) { }

    /**
     * A generated column: its values are not in the rows (pgoutput sends none before PostgreSQL
     * 18), a follower computes them from the expression.
     *
     * @param expression the generation expression as {@code pg_get_expr} prints it
     * @param stored     {@code GENERATED ALWAYS AS (…) STORED}; false for a virtual one (PostgreSQL 18)
     */
    public record Generated(String name, String type, boolean nullable, String expression, boolean stored) { }

    /**
     * A domain or a composite type a column uses.
     *
     * @param kind       {@code domain} or {@code composite}
     * @param base       a domain's base type, as {@code format_type} prints it (null for a composite)
     * @param notNull    a domain's NOT NULL
     * @param checks     a domain's CHECK constraints as {@code pg_get_constraintdef} prints them
     * @param attributes a composite's attributes: name and type, in order
     */
    public record TypeDefinition(String schema, String name, String kind, String base, boolean notNull,
                                 List<String> checks, List<Attribute> attributes) {
        public TypeDefinition {
            checks = List.copyOf(checks);
            attributes = List.copyOf(attributes);
        }

        /** The type's name, schema-qualified and quoted. */
        public String qualifiedName() {
            return TableId.quote(schema) + "." + TableId.quote(name);
        }
    }

    /** An attribute of a composite type. */
    public record Attribute(String name, String type) { }

    /** Parses a message's content; a malformed one is a {@link FormatException} saying what is wrong. */
    public static DdlMessage parse(byte[] content) {
        try (JsonParser p = JSON.createParser(content)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the message");
            String schema = null;
            String name = null;
            boolean rewrite = false;
            boolean using = false;
            List<String> renamed = new ArrayList<>();
            List<DdlColumn> columns = new ArrayList<>();
            List<Generated> generated = new ArrayList<>();
            List<TypeDefinition> types = new ArrayList<>();
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
                    case "volatile_rewrite" -> rewrite = t == JsonToken.VALUE_TRUE;
                    case "using_expression" -> using = t == JsonToken.VALUE_TRUE;
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
                    case "types" -> {
                        if (t != JsonToken.VALUE_NULL) {
                            expect(t, JsonToken.START_ARRAY, "types");
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                types.add(type(p));
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
            if (schema == null || name == null || columns.isEmpty() && types.isEmpty()) {
                throw new FormatException("a DDL message needs a table and its columns or types");
            }
            return new DdlMessage(new TableId(schema, name), columns, generated, types, rewrite, using, renamed);
        } catch (IOException e) {
            throw new FormatException("a DDL message is not valid JSON: " + e.getMessage());
        }
    }

    private static DdlColumn column(JsonParser p) throws IOException {
        String name = null;
        String type = null;
        boolean nullable = true;
        String missing = null;
        boolean hasDefault = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> name = p.getText();
                case "type" -> type = p.getText();
                case "nullable" -> nullable = t != JsonToken.VALUE_FALSE;
                case "missing" -> missing = t == JsonToken.VALUE_NULL ? null : p.getText();
                case "has_default" -> hasDefault = t != JsonToken.VALUE_FALSE;
                default -> p.skipChildren();
            }
        }
        if (name == null || type == null) {
            throw new FormatException("a column of a DDL message needs a name and a type");
        }
        return new DdlColumn(name, type, nullable, missing, hasDefault);
    }

    private static Generated generated(JsonParser p) throws IOException {
        String name = null;
        String type = null;
        String expression = null;
        boolean nullable = true;
        boolean stored = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> name = p.getText();
                case "type" -> type = p.getText();
                case "nullable" -> nullable = t != JsonToken.VALUE_FALSE;
                case "expression" -> expression = t == JsonToken.VALUE_NULL ? null : p.getText();
                case "stored" -> stored = t != JsonToken.VALUE_FALSE;
                default -> p.skipChildren();
            }
        }
        if (name == null || type == null || expression == null) {
            throw new FormatException("a generated column of a DDL message needs a name, a type and an expression");
        }
        return new Generated(name, type, nullable, expression, stored);
    }

    private static TypeDefinition type(JsonParser p) throws IOException {
        String schema = null;
        String name = null;
        String kind = null;
        String base = null;
        boolean notNull = false;
        List<String> checks = new ArrayList<>();
        List<Attribute> attributes = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "schema" -> schema = p.getText();
                case "name" -> name = p.getText();
                case "kind" -> kind = p.getText();
                case "base" -> base = t == JsonToken.VALUE_NULL ? null : p.getText();
                case "not_null" -> notNull = t == JsonToken.VALUE_TRUE;
                case "checks" -> {
                    if (t != JsonToken.VALUE_NULL) {
                        expect(t, JsonToken.START_ARRAY, "checks");
                        while (p.nextToken() == JsonToken.VALUE_STRING) {
                            checks.add(p.getText());
                        }
                    }
                }
                case "attributes" -> {
                    if (t != JsonToken.VALUE_NULL) {
                        expect(t, JsonToken.START_ARRAY, "attributes");
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            String attribute = null;
                            String type = null;
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String f = p.currentName();
                                p.nextToken();
                                if (f.equals("name")) {
                                    attribute = p.getText();
                                } else if (f.equals("type")) {
                                    type = p.getText();
                                } else {
                                    p.skipChildren();
                                }
                            }
                            if (attribute == null || type == null) {
                                throw new FormatException("an attribute of a composite type in a DDL message needs a name and a type");
                            }
                            attributes.add(new Attribute(attribute, type));
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        boolean domain = "domain".equals(kind);
        if (schema == null || name == null || !domain && !"composite".equals(kind) || domain && base == null
                || !domain && attributes.isEmpty()) {
            throw new FormatException("a type of a DDL message needs a schema, a name and a kind: a domain its base type,"
                    + " a composite its attributes");
        }
        return new TypeDefinition(schema, name, kind, base, notNull, checks, attributes);
    }

    /** The message's content, as {@link #parse} reads it (capture writes it for a table it announces). */
    public byte[] toJson() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("table");
            g.writeString(table.schema());
            g.writeString(table.table());
            g.writeEndArray();
            g.writeBooleanField("volatile_rewrite", volatileRewrite);
            g.writeBooleanField("using_expression", usingExpression);
            g.writeArrayFieldStart("renamed_columns");
            for (String r : renamedColumns) {
                g.writeString(r);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("columns");
            for (DdlColumn c : columns) {
                g.writeStartObject();
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.type());
                g.writeBooleanField("nullable", c.nullable());
                g.writeStringField("missing", c.missing());
                g.writeBooleanField("has_default", c.hasDefault());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("types");
            for (TypeDefinition d : types) {
                g.writeStartObject();
                g.writeStringField("schema", d.schema());
                g.writeStringField("name", d.name());
                g.writeStringField("kind", d.kind());
                g.writeStringField("base", d.base());
                g.writeBooleanField("not_null", d.notNull());
                g.writeArrayFieldStart("checks");
                for (String check : d.checks()) {
                    g.writeString(check);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("attributes");
                for (Attribute a : d.attributes()) {
                    g.writeStartObject();
                    g.writeStringField("name", a.name());
                    g.writeStringField("type", a.type());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("generated");
            for (Generated c : generated) {
                g.writeStartObject();
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.type());
                g.writeBooleanField("nullable", c.nullable());
                g.writeStringField("expression", c.expression());
                g.writeBooleanField("stored", c.stored());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
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
