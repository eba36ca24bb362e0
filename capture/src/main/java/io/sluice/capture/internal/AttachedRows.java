package io.sluice.capture.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.format.TableId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a table holds that no row change carries — a partition's attached to a partitioned table
 * holding them, a table's added to a publication — as the DDL triggers write them inside the DDL's
 * transaction ({@code sluice.emit_rows}, docs/capture.md): capture puts them on the stream as a copy
 * event of the table its publication publishes — the partitioned table, or the table itself. A
 * message is a JSON line (the table, its root, the root's columns and key, the publication it was
 * added to or null, the table that publication publishes them as, whether the message only empties
 * that table before a DDL message whose rows follow it, whether its rows joined the table rather than
 * being all it holds, and — for any publication's rows — the publications that get rows of their own
 * instead; the shapes of the tables the rows may be published as, as they were then) and then lines of COPY text. The one reader of that format, for both engines
 * and {@link MessageGate}. Stateless.
 */
public final class AttachedRows {

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * One message's rows: {@code text} whole COPY lines of {@code columns}, {@code count} of them;
     * {@code publication} the one the table was added to, null when they are any publication's;
     * {@code as} the table that publication publishes them as (null: any publication's, or an older
     * script's message, which does not say); {@code truncateOnly}: the message holds no row and only empties
     * that table, before a DDL message whose rows follow it in the same transaction; {@code joined}: the rows
     * joined the table (a partition attached), they are not all it holds; {@code except}: the publications
     * that do not get these rows (those that publish them with a row filter get rows of their own; those that held
     * them already, none); {@code targets}: for any publication's rows, the table each publication they are for
     * publishes them as (null: an older script's message, which does not say); {@code shapes}: the shapes of those
     * tables when the rows were written ({@code sluice.shape_with_types}), by table (an older script's: none).
     */
    public record Rows(TableId table, TableId root, String publication, TableId as, boolean truncateOnly, boolean joined,
                       List<String> except, Map<String, TableId> targets, List<String> columns, List<String> key,
                       Map<TableId, byte[]> shapes, long count, byte[] text) { }

    private record Header(TableId table, TableId root, String publication, TableId as, boolean truncateOnly, boolean joined,
                          List<String> except, Map<String, TableId> targets, List<String> columns, List<String> key,
                          Map<TableId, byte[]> shapes) { }

    private AttachedRows() {
    }

    /** Reads a message's content; a malformed one is an {@link IllegalStateException} saying what is wrong. */
    public static Rows parse(byte[] content) {
        int eol = eol(content);
        byte[] text = Arrays.copyOfRange(content, Math.min(eol + 1, content.length), content.length);
        long count = 0;
        for (byte b : text) {
            count += b == '\n' ? 1 : 0;
        }
        // No row at all: a table taken in by a publication empty.
        if (eol == content.length || text.length > 0 && text[text.length - 1] != '\n') {
            throw new IllegalStateException("a rows message of the DDL triggers does not end in a whole line after its header");
        }
        Header h = header(content, eol);
        return new Rows(h.table(), h.root(), h.publication(), h.as(), h.truncateOnly(), h.joined(), h.except(), h.targets(),
                h.columns(), h.key(), h.shapes(), count, text);
    }

    /** The publication the rows were written for, null when they are any publication's: the header alone is read. */
    public static String publication(byte[] content) {
        return header(content, eol(content)).publication();
    }

    /** Whether the message holds a row after its header line (one for a table taken in empty holds none). */
    public static boolean holdsRows(byte[] content) {
        return eol(content) + 1 < content.length;
    }

    private static int eol(byte[] content) {
        int eol = 0;
        while (eol < content.length && content[eol] != '\n') {
            eol++;
        }
        return eol;
    }

    private static Header header(byte[] content, int eol) {
        TableId table = null;
        TableId root = null;
        TableId as = null;
        boolean truncateOnly = false;
        boolean joined = false;
        List<String> except = List.of();
        String publication = null;
        List<String> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        Map<String, TableId> targets = null;
        byte[] shape = null;
        Map<TableId, byte[]> shapes = new HashMap<>();
        try (JsonParser p = JSON.createParser(content, 0, eol)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalStateException("a rows message's header is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("publication")) {
                    publication = t == JsonToken.VALUE_STRING ? p.getText() : null;
                    continue;
                }
                if (field.equals("truncate") || field.equals("joined")) {
                    truncateOnly |= field.equals("truncate") && t == JsonToken.VALUE_TRUE;
                    joined |= field.equals("joined") && t == JsonToken.VALUE_TRUE;
                    continue;
                }
                if (field.equals("shape") && t == JsonToken.START_OBJECT) {
                    shape = object(p, content);
                    continue;
                }
                if (field.equals("shapes") && t == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        byte[] one = object(p, content);
                        shapes.put(shapeTable(one), one);
                    }
                    continue;
                }
                if (field.equals("targets") && t == JsonToken.START_OBJECT) {
                    targets = new HashMap<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String pub = p.currentName();
                        p.nextToken();
                        targets.put(pub, table(strings(p)));
                    }
                    continue;
                }
                if (t != JsonToken.START_ARRAY) {
                    p.skipChildren(); // a newer script's field
                    continue;
                }
                List<String> values = strings(p);
                switch (field) {
                    case "table" -> table = table(values);
                    case "root" -> root = table(values);
                    case "as" -> as = table(values);
                    case "except" -> except = List.copyOf(values);
                    case "columns" -> columns = values;
                    case "key" -> key = values;
                    default -> { } // a newer script's field
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("a rows message's header is not JSON: " + e.getMessage(), e);
        }
        if (table == null || root == null || columns.isEmpty()) {
            throw new IllegalStateException("a rows message's header lacks its table, root or columns");
        }
        if (shape != null && as != null) {
            shapes.put(as, shape);
        }
        return new Header(table, root, publication, as, truncateOnly, joined, except, targets, columns, key, shapes);
    }

    /** The strings of the array whose START_ARRAY was just read; the parser ends on its END_ARRAY. */
    private static List<String> strings(JsonParser p) throws IOException {
        List<String> values = new ArrayList<>();
        while (p.nextToken() == JsonToken.VALUE_STRING) {
            values.add(p.getText());
        }
        return values;
    }

    /** The bytes of the object whose START_OBJECT was just read; the parser ends on its END_OBJECT. */
    private static byte[] object(JsonParser p, byte[] content) throws IOException {
        int from = (int) p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        return Arrays.copyOfRange(content, from, (int) p.currentLocation().getByteOffset());
    }

    /** The table a shape describes (its {@code table} field). */
    private static TableId shapeTable(byte[] shape) throws IOException {
        try (JsonParser p = JSON.createParser(shape)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() == JsonToken.START_ARRAY && field.equals("table")) {
                    return table(strings(p));
                }
                p.skipChildren();
            }
        }
        throw new IllegalStateException("a rows message's shape names no table");
    }

    private static TableId table(List<String> parts) {
        if (parts.size() != 2) {
            throw new IllegalStateException("a rows message names a table as " + parts + ", not [schema, name]");
        }
        return new TableId(parts.get(0), parts.get(1));
    }
}
