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
import java.util.Map;

/**
 * What capture's pgoutput engine holds of what the stream said of tables and enums (FORMAT.md, "Definitions
 * messages"): a {@link ChangeEvent.Message} with prefix {@link #PREFIX} that capture writes to the stream itself, never
 * through the primary's WAL. Inside a frame, before its COMMIT, it carries the tables and enums the frame changed
 * ({@code full} false); standing between frames, everything ({@code full} true). A capture started again reads them back
 * from the last full one on, so it describes a backlog's rows as the stream last said their tables, not as the catalog
 * has them by then. Other consumers pass over it.
 *
 * @param tables each table's columns (nullability, key membership, type), generated columns and parents; {@code gone}: tables
 *               no longer said (dropped, renamed away)
 * @param enums  each enum's labels in order; {@code enumsGone}: enums no longer said (renamed away)
 * @param unannounced tables whose creation the stream said but announced to no follower (renamed or dropped before
 *               capture read it: their rename announces them), all of them; null where not said (a frame that did not
 *               change them, an older capture)
 */
public record SaidDefinitions(boolean full, List<Table> tables, List<TableId> gone, List<EnumLabels> enums,
                              List<List<String>> enumsGone, List<TableId> unannounced) {

    /** The message prefix. */
    public static final String PREFIX = "sluice.definitions";

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * A column as the stream said it: {@code key} and {@code type} (as DDL messages write it) null where it was not said.
     */
    public record ColumnFact(String name, boolean nullable, Boolean key, String type) {

        /** A column whose type was not said. */
        public ColumnFact(String name, boolean nullable, Boolean key) {
            this(name, nullable, key, null);
        }
    }

    /** A table as the stream said it: {@code inherits} null where it was not said. */
    public record Table(TableId table, List<ColumnFact> columns, List<DdlMessage.Generated> generated, List<TableId> inherits) {
        public Table {
            columns = List.copyOf(columns);
            generated = List.copyOf(generated);
            inherits = inherits == null ? null : List.copyOf(inherits);
        }
    }

    /**
     * An enum's labels in order, by {@code [schema, name]}; {@code renamed}: old names of labels the stream said renamed,
     * each with the label's name now (a row written before a rename may still come under the old name).
     */
    public record EnumLabels(List<String> type, List<String> labels, Map<String, String> renamed) {
        public EnumLabels {
            type = List.copyOf(type);
            labels = List.copyOf(labels);
            renamed = renamed == null ? Map.of() : Map.copyOf(renamed);
        }

        /** An enum none of whose labels the stream said renamed. */
        public EnumLabels(List<String> type, List<String> labels) {
            this(type, labels, Map.of());
        }
    }

    public SaidDefinitions {
        tables = List.copyOf(tables);
        gone = List.copyOf(gone);
        enums = List.copyOf(enums);
        enumsGone = List.copyOf(enumsGone);
        unannounced = unannounced == null ? null : List.copyOf(unannounced);
    }

    /** Definitions that say nothing of unannounced tables. */
    public SaidDefinitions(boolean full, List<Table> tables, List<TableId> gone, List<EnumLabels> enums,
                           List<List<String>> enumsGone) {
        this(full, tables, gone, enums, enumsGone, null);
    }

    /** Whether {@code m} is such a message. */
    public static boolean is(ChangeEvent.Message m) {
        return m.prefix().equals(PREFIX);
    }

    /** The message, under {@code header}: inside a frame when it holds changes, standing between frames when everything. */
    public ChangeEvent.Message toEvent(EventHeader header) {
        return new ChangeEvent.Message(header, !full, PREFIX, toJson());
    }

    /** The message's content, as {@link #parse} reads it. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeBooleanField("full", full);
            g.writeArrayFieldStart("tables");
            for (Table t : tables) {
                g.writeStartObject();
                name(g, "table", t.table());
                g.writeArrayFieldStart("columns");
                for (ColumnFact c : t.columns()) {
                    g.writeStartObject();
                    g.writeStringField("name", c.name());
                    g.writeBooleanField("nullable", c.nullable());
                    if (c.key() != null) {
                        g.writeBooleanField("key", c.key());
                    }
                    if (c.type() != null) {
                        g.writeStringField("type", c.type());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                DdlJsonWriter.writeGenerated(g, t.generated());
                if (t.inherits() != null) {
                    g.writeArrayFieldStart("inherits");
                    for (TableId parent : t.inherits()) {
                        DdlJsonWriter.writeStrings(g, null, List.of(parent.schema(), parent.table()));
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("gone");
            for (TableId t : gone) {
                DdlJsonWriter.writeStrings(g, null, List.of(t.schema(), t.table()));
            }
            g.writeEndArray();
            g.writeArrayFieldStart("enums");
            for (EnumLabels e : enums) {
                g.writeStartObject();
                DdlJsonWriter.writeStrings(g, "type", e.type());
                DdlJsonWriter.writeStrings(g, "labels", e.labels());
                if (!e.renamed().isEmpty()) {
                    g.writeObjectFieldStart("renamed");
                    for (Map.Entry<String, String> r : new java.util.TreeMap<>(e.renamed()).entrySet()) {
                        g.writeStringField(r.getKey(), r.getValue());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("enums_gone");
            for (List<String> e : enumsGone) {
                DdlJsonWriter.writeStrings(g, null, e);
            }
            g.writeEndArray();
            if (unannounced != null) {
                g.writeArrayFieldStart("unannounced");
                for (TableId t : unannounced) {
                    DdlJsonWriter.writeStrings(g, null, List.of(t.schema(), t.table()));
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads a message's content; a malformed one is a {@link FormatException} saying what is wrong. */
    public static SaidDefinitions parse(byte[] content) {
        Map<String, Object> f;
        try (JsonParser p = JSON.createParser(content)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new FormatException("not a JSON object");
            }
            f = JsonFields.fields(p);
        } catch (IOException | FormatException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
        try {
            List<Table> tables = new ArrayList<>();
            for (Object o : JsonFields.list(f, "tables")) {
                Map<String, Object> t = object(o, "a table");
                List<ColumnFact> columns = new ArrayList<>();
                for (Object c : JsonFields.list(t, "columns")) {
                    Map<String, Object> column = object(c, "a column");
                    String name = JsonFields.text(column, "name");
                    if (name == null) {
                        throw new FormatException("a column has no name");
                    }
                    columns.add(new ColumnFact(name, JsonFields.flag(column, "nullable", true),
                            column.get("key") instanceof Boolean b ? b : null, JsonFields.text(column, "type")));
                }
                List<DdlMessage.Generated> generated = new ArrayList<>();
                for (Object g : JsonFields.list(t, "generated")) {
                    generated.add(DdlJson.generated(object(g, "a generated column")));
                }
                List<TableId> inherits = t.containsKey("inherits") ? tables(JsonFields.list(t, "inherits"), "inherits") : null;
                tables.add(new Table(table(JsonFields.qualified(t, "table", "a table's"), "table"), columns, generated, inherits));
            }
            List<EnumLabels> enums = new ArrayList<>();
            for (Object o : JsonFields.list(f, "enums")) {
                Map<String, Object> e = object(o, "an enum");
                List<String> type = JsonFields.qualified(e, "type", "an enum's");
                if (type.isEmpty()) {
                    throw new FormatException("an enum is not named");
                }
                Map<String, String> renamed = new java.util.HashMap<>();
                object(e.getOrDefault("renamed", Map.of()), "an enum's renamed labels").forEach((from, to) -> {
                    if (!(to instanceof String name)) {
                        throw new FormatException("renamed label " + from + " of " + type + " has no name now");
                    }
                    renamed.put(from, name);
                });
                enums.add(new EnumLabels(type, JsonFields.strings(e, "labels", "an enum's labels"), renamed));
            }
            List<List<String>> enumsGone = new ArrayList<>();
            for (TableId t : tables(JsonFields.list(f, "enums_gone"), "enums_gone")) {
                enumsGone.add(List.of(t.schema(), t.table()));
            }
            List<TableId> unannounced = f.containsKey("unannounced") ? tables(JsonFields.list(f, "unannounced"), "unannounced") : null;
            return new SaidDefinitions(JsonFields.flag(f, "full", false), tables, tables(JsonFields.list(f, "gone"), "gone"), enums,
                    enumsGone, unannounced);
        } catch (FormatException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
    }

    /** {@code [schema, name]} pairs. */
    private static List<TableId> tables(List<?> items, String field) {
        List<TableId> out = new ArrayList<>(items.size());
        for (Object item : items) {
            List<String> parts = new ArrayList<>();
            if (item instanceof List<?> l) {
                l.forEach(part -> parts.add(part instanceof String s ? s : null));
            }
            out.add(table(parts, field));
        }
        return out;
    }

    private static TableId table(List<String> parts, String field) {
        if (parts.size() != 2 || parts.contains(null)) {
            throw new FormatException(field + " holds " + parts + ", not [schema, name]");
        }
        return new TableId(parts.get(0), parts.get(1));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new FormatException(what + " is not an object: " + o);
        }
        return (Map<String, Object>) m;
    }

    private static void name(JsonGenerator g, String field, TableId t) throws IOException {
        DdlJsonWriter.writeStrings(g, field, List.of(t.schema(), t.table()));
    }
}
