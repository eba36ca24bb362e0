package io.sluice.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Writes a {@link DdlMessage}'s content, the UTF-8 JSON FORMAT.md describes ({@link DdlJson} reads it). Stateless. */
final class DdlJsonWriter {

    private static final JsonFactory JSON = new JsonFactory();

    private DdlJsonWriter() {
    }

    /** An array of strings: a field's value, or an element of the array being written ({@code field} null). */
    static void writeStrings(JsonGenerator g, String field, List<String> values)
            throws IOException {
        if (field == null) {
            g.writeStartArray();
        } else {
            g.writeArrayFieldStart(field);
        }
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    static byte[] write(DdlMessage m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeStrings(g, "table", List.of(m.table().schema(), m.table().table()));
            if (m.renamedFrom() != null) {
                writeStrings(g, "renamed_from", List.of(m.renamedFrom().schema(), m.renamedFrom().table()));
            }
            if (m.created()) {
                g.writeBooleanField("created", true);
            }
            if (m.fromTrigger()) {
                g.writeBooleanField("trigger", true);
            }
            g.writeBooleanField("volatile_rewrite", m.volatileRewrite());
            g.writeBooleanField("using_expression", m.usingExpression());
            if (m.rowsFollow()) {
                g.writeBooleanField("rows_follow", true);
            }
            if (!m.columnLists().isEmpty()) {
                g.writeObjectFieldStart("column_lists");
                for (Map.Entry<String, List<String>> list : m.columnLists().entrySet()) {
                    writeStrings(g, list.getKey(), list.getValue());
                }
                g.writeEndObject();
            }
            writeStrings(g, "renamed_columns", m.renamedColumns());
            if (m.inherits() != null) {
                g.writeArrayFieldStart("inherits");
                for (TableId parent : m.inherits()) {
                    writeStrings(g, null, List.of(parent.schema(), parent.table()));
                }
                g.writeEndArray();
            }
            if (!m.partitionsGone().isEmpty()) {
                g.writeArrayFieldStart("partitions_gone");
                for (DdlMessage.GonePartition gone : m.partitionsGone()) {
                    g.writeStartObject();
                    writeStrings(g, "table", List.of(gone.table().schema(), gone.table().table()));
                    g.writeStringField("rows", gone.rows());
                    if (gone.collated()) {
                        g.writeBooleanField("collated", true);
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeArrayFieldStart("columns");
            for (DdlMessage.DdlColumn c : m.columns()) {
                g.writeStartObject();
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.type());
                g.writeBooleanField("nullable", c.nullable());
                g.writeStringField("missing", c.missing());
                g.writeBooleanField("has_default", c.hasDefault());
                if (c.renamedFrom() != null) {
                    g.writeStringField("renamed_from", c.renamedFrom());
                }
                if (c.defaultExpression() != null) {
                    g.writeStringField("default", c.defaultExpression());
                }
                if (!c.collation().isEmpty()) {
                    writeStrings(g, "collation", c.collation());
                }
                if (c.key() != null) {
                    g.writeBooleanField("key", c.key());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("types");
            for (TypeDefinition d : m.types()) {
                g.writeStartObject();
                g.writeStringField("schema", d.schema());
                g.writeStringField("name", d.name());
                g.writeStringField("kind", d.kind());
                g.writeStringField("base", d.base());
                g.writeBooleanField("not_null", d.notNull());
                writeStrings(g, "checks", d.checks());
                g.writeArrayFieldStart("attributes");
                for (TypeDefinition.Attribute a : d.attributes()) {
                    g.writeStartObject();
                    g.writeStringField("name", a.name());
                    g.writeStringField("type", a.type());
                    g.writeEndObject();
                }
                g.writeEndArray();
                if (!d.labels().isEmpty()) {
                    writeStrings(g, "labels", d.labels());
                }
                if (d.extension() != null) {
                    g.writeStringField("extension", d.extension());
                }
                if (!d.renamedFrom().isEmpty()) {
                    writeStrings(g, "renamed_from", d.renamedFrom());
                }
                if (d.range() != null) {
                    for (Map.Entry<String, List<String>> part : List.of(Map.entry("collation", d.range().collation()),
                            Map.entry("opclass", d.range().opclass()), Map.entry("multirange", d.range().multirange()))) {
                        if (!part.getValue().isEmpty()) {
                            writeStrings(g, part.getKey(), part.getValue());
                        }
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            writeGenerated(g, m.generated());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The {@code generated} field: generated columns as a DDL message has them ({@link SaidDefinitions} too). */
    static void writeGenerated(JsonGenerator g, List<DdlMessage.Generated> generated) throws IOException {
        g.writeArrayFieldStart("generated");
        for (DdlMessage.Generated c : generated) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeStringField("type", c.type());
            g.writeBooleanField("nullable", c.nullable());
            g.writeStringField("expression", c.expression());
            g.writeBooleanField("stored", c.stored());
            if (c.renamedFrom() != null) {
                g.writeStringField("renamed_from", c.renamedFrom());
            }
            if (c.place() != null) {
                g.writeNumberField("place", c.place());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
