package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.RowWriter.RowException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * Loads rows into a PostgreSQL follower with {@code COPY … FROM STDIN} (text format): a group's
 * collapsed inserts, whose COPY text the stream thread builds ahead ({@link #copyText}), and a
 * snapshot's copy events, whose text is the primary's own COPY output. A row the follower refuses
 * is named from the line COPY reports. Not thread-safe; one per follower connection.
 */
final class CopyLoader {

    /** COPY data is sent in pieces of about this many bytes. */
    private static final int COPY_CHUNK_BYTES = 1024 * 1024;

    private final Connection connection;

    CopyLoader(Connection connection) {
        this.connection = connection;
    }

    /**
     * The COPY text of many rows, built without the connection or the table's shape, so a thread
     * other than the follower's can build it ahead (the applier's stream thread does); a value that
     * has no text (an unchanged TOAST marker) is kept as the failure the COPY raises when it runs.
     * Held as UTF-8 bytes, in pieces of about {@link #COPY_CHUNK_BYTES}.
     */
    public static final class CopyText {
        private final List<byte[]> chunks = new ArrayList<>();
        private final List<Integer> lengths = new ArrayList<>();
        private byte[] buf;
        private int len;
        private RuntimeException failure;

        private CopyText(int capacity) {
            buf = new byte[capacity];
        }

        private void put(byte b) {
            if (len == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[len++] = b;
        }

        /** UTF-8 text with COPY's escapes applied (no escaped byte is part of a multi-byte character). */
        private void putEscaped(ByteBuffer utf8) {
            int n = utf8.remaining();
            long need = len + 2L * n; // every byte escaped, at most
            if (need > buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(2L * buf.length, need)));
            }
            int from = utf8.position();
            for (int i = from; i < from + n; i++) {
                byte b = utf8.get(i);
                switch (b) {
                    case '\\' -> escape((byte) '\\');
                    case '\t' -> escape((byte) 't');
                    case '\n' -> escape((byte) 'n');
                    case '\r' -> escape((byte) 'r');
                    default -> buf[len++] = b;
                }
            }
        }

        private void escape(byte letter) {
            buf[len++] = '\\';
            buf[len++] = letter;
        }

        private void endRow() {
            put((byte) '\n');
            if (len >= COPY_CHUNK_BYTES) {
                cut();
                buf = new byte[COPY_CHUNK_BYTES + COPY_CHUNK_BYTES / 4];
            }
        }

        private void cut() {
            chunks.add(buf);
            lengths.add(len);
            len = 0;
        }
    }

    /** The COPY text of {@code rows}; null for a single row, which is inserted on its own. */
    public static CopyText copyText(List<String> cols, List<ChangeEvent.Insert> rows) {
        if (rows.size() == 1) {
            return null;
        }
        CopyText out = new CopyText((int) Math.min(COPY_CHUNK_BYTES, 64L * rows.size() * cols.size()) + 4096);
        try {
            for (ChangeEvent.Insert row : rows) {
                for (int c = 0; c < cols.size(); c++) {
                    if (c > 0) {
                        out.put((byte) '\t');
                    }
                    Value v = row.after().get(cols.get(c));
                    if (v instanceof Value.Text t) {
                        out.putEscaped(t.utf8()); // the bytes it came as, never decoded
                        continue;
                    }
                    String value = RowText.of(v, row, cols.get(c));
                    if (value == null) {
                        out.put((byte) '\\');
                        out.put((byte) 'N');
                    } else {
                        out.putEscaped(ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
                    }
                }
                out.endRow();
            }
            if (out.len > 0 || out.chunks.isEmpty()) {
                out.cut();
            }
        } catch (RuntimeException e) {
            out.failure = e;
        }
        out.buf = null;
        return out;
    }

    /**
     * Inserts many rows of one table, all with the same columns, in one {@code COPY … FROM STDIN}
     * (text format): each value in the column type's own input syntax, parsed by the follower as a
     * single-row insert would. A row the follower refuses is named from the line COPY reports.
     * The COPY text is built ahead by {@link #copyText}.
     */
    void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows, CopyText text) throws SQLException {
        if (text.failure != null) {
            throw text.failure;
        }
        String sql = "COPY " + table.quoted() + " (" + RowText.columns(cols, ", ") + ") FROM STDIN";
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long written;
        try {
            for (int i = 0; i < text.chunks.size(); i++) {
                copy.writeToCopy(text.chunks.get(i), 0, text.lengths.get(i));
            }
            written = copy.endCopy();
        } catch (SQLException | RuntimeException e) {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the connection is failing; the cause below is what matters
                }
            }
            if (e instanceof SQLException failed) {
                throw RowException.naming(() -> copyRow(failed, rows), failed);
            }
            throw e;
        }
        if (written != rows.size()) {
            throw new ApplierException("COPY into " + table + " wrote " + written + " rows, expected " + rows.size(), false, null);
        }
    }

    /**
     * Loads a copy event's rows with {@code COPY … FROM STDIN}, its text as it came (the primary's
     * own COPY output, FORMAT.md); a row the follower refuses is named from the line COPY reports.
     */
    void copy(CopyEvent e) throws SQLException {
        String sql = "COPY " + e.table().quoted() + " (" + RowText.columns(e.columns(), ", ") + ") FROM STDIN";
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long written;
        try {
            e.writeTextTo(new java.io.OutputStream() {
                @Override
                public void write(int b) throws java.io.IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws java.io.IOException {
                    try {
                        copy.writeToCopy(b, off, len);
                    } catch (SQLException failed) {
                        throw new java.io.IOException(failed);
                    }
                }
            });
            written = copy.endCopy();
        } catch (SQLException | java.io.IOException | RuntimeException failure) {
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException ignored) {
                    // the connection is failing; the cause below is what matters
                }
            }
            SQLException cause = failure instanceof SQLException s ? s
                    : failure.getCause() instanceof SQLException s ? s : null;
            if (cause != null) {
                throw RowException.naming(() -> copyRow(cause, e.inserts()), cause);
            }
            throw failure instanceof RuntimeException r ? r : new java.io.UncheckedIOException((java.io.IOException) failure);
        }
        if (written != e.rows()) {
            throw new ApplierException("COPY into " + e.table() + " wrote " + written + " rows, the copy event held " + e.rows(),
                    false, null);
        }
    }

    private static final Pattern COPY_LINE = Pattern.compile("line (\\d+)");

    /** The row named by COPY's error context ({@code COPY t, line 3, column c: …}), else the range. */
    private static String copyRow(SQLException e, List<ChangeEvent.Insert> rows) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null && p.getServerErrorMessage().getWhere() != null) {
            Matcher m = COPY_LINE.matcher(p.getServerErrorMessage().getWhere());
            if (m.find()) {
                int line = Integer.parseInt(m.group(1));
                if (line >= 1 && line <= rows.size()) {
                    ChangeEvent.Insert row = rows.get(line - 1);
                    return RowText.describe(row, row.after());
                }
            }
        }
        return "one of " + rows.size() + " inserts on " + rows.get(0).table() + " at source LSN up to "
                + rows.get(rows.size() - 1).header().commitLsn();
    }
}
