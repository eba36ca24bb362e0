package io.sluice.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Many inserts into one table in PostgreSQL's {@code COPY} text format (FORMAT.md, "copy"; format
 * version 3): each line one row, the columns' values as their output functions wrote them with the
 * stream's output settings, tab-separated, {@code \N} for NULL, backslash escapes. It means exactly
 * the inserts {@link #inserts()} returns — the same values an insert event carries as text — in a
 * form a PostgreSQL follower loads with {@code COPY … FROM STDIN} as it came. Capture writes it for
 * the initial snapshot. Immutable.
 */
public final class CopyEvent implements ChangeEvent {

    private final EventHeader header;
    private final TableId table;
    private final List<String> key;
    private final List<String> columns;
    private final long rows;
    private final byte[] text;

    private CopyEvent(EventHeader header, TableId table, List<String> key, List<String> columns, long rows, byte[] text) {
        this.header = Objects.requireNonNull(header, "header");
        this.table = Objects.requireNonNull(table, "table");
        this.key = List.copyOf(key);
        this.columns = List.copyOf(columns);
        this.rows = rows;
        this.text = Objects.requireNonNull(text, "text");
        if (header.xid() == 0) {
            throw new IllegalArgumentException("copy event needs a transaction id, xid is 0");
        }
        if (this.columns.isEmpty() || new HashSet<>(this.columns).size() != this.columns.size()) {
            throw new IllegalArgumentException("copy event needs distinct columns, had " + this.columns);
        }
        if (!this.columns.containsAll(this.key)) {
            throw new IllegalArgumentException("copy event key " + this.key + " is not among its columns " + this.columns);
        }
        long lines = 0;
        for (byte b : text) {
            if (b == '\n') {
                lines++;
            }
        }
        if (rows < 1 || lines != rows || text[text.length - 1] != '\n') {
            throw new IllegalArgumentException("copy event says " + rows + " rows but its text holds " + lines
                    + " whole lines of " + text.length + " bytes");
        }
    }

    /** A copy event of {@code text} (copied): whole lines, {@code rows} of them. */
    public static CopyEvent of(EventHeader header, TableId table, List<String> key, List<String> columns, long rows,
                               byte[] text) {
        return new CopyEvent(header, table, key, columns, rows, text.clone());
    }

    /** For the codec: {@code text} is a fresh array nobody else holds. */
    static CopyEvent wrap(EventHeader header, TableId table, List<String> key, List<String> columns, long rows,
                          byte[] text) {
        return new CopyEvent(header, table, key, columns, rows, text);
    }

    @Override
    public String kind() {
        return "copy";
    }

    @Override
    public EventHeader header() {
        return header;
    }

    @Override
    public CopyEvent withHeader(EventHeader h) {
        return new CopyEvent(h, table, key, columns, rows, text);
    }

    public TableId table() {
        return table;
    }

    /** Names of the table's replica identity key columns, as on an insert event. */
    public List<String> key() {
        return key;
    }

    /** The columns of each line, in order. */
    public List<String> columns() {
        return columns;
    }

    public long rows() {
        return rows;
    }

    /** The COPY text, read-only. */
    public ByteBuffer text() {
        return ByteBuffer.wrap(text).asReadOnlyBuffer();
    }

    /** Writes the COPY text to {@code out} without copying it ({@code out} must not keep or change the array). */
    public void writeTextTo(java.io.OutputStream out) throws java.io.IOException {
        out.write(text, 0, text.length);
    }

    /** The rows as the insert events they mean, each under this event's header. */
    public List<Insert> inserts() {
        List<Insert> out = new ArrayList<>((int) Math.min(rows, 1 << 20));
        CopyTextRows parser = new CopyTextRows(columns.size(), fields -> {
            Map<String, Value> row = new LinkedHashMap<>(fields.length * 2);
            for (int i = 0; i < fields.length; i++) {
                row.put(columns.get(i), fields[i] == null ? Value.Null.INSTANCE : new Value.Text(fields[i]));
            }
            out.add(new Insert(header, table, key, row));
        });
        try {
            parser.write(text, 0, text.length);
        } catch (IllegalStateException e) {
            throw new FormatException("copy event for " + table + ": " + e.getMessage(), e);
        }
        return out;
    }

    byte[] textArray() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CopyEvent c && c.header.equals(header) && c.table.equals(table) && c.key.equals(key)
                && c.columns.equals(columns) && c.rows == rows && java.util.Arrays.equals(c.text, text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(header, table, key, columns, rows, java.util.Arrays.hashCode(text));
    }

    @Override
    public String toString() {
        String head = new String(text, 0, Math.min(text.length, 80), StandardCharsets.UTF_8);
        return "CopyEvent[header=" + header + ", table=" + table + ", key=" + key + ", columns=" + columns + ", rows=" + rows
                + ", text=" + text.length + " bytes: " + head.replace("\n", "\\n") + (text.length > 80 ? "…" : "") + "]";
    }
}
