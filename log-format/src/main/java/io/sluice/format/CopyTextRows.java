package io.sluice.format;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads PostgreSQL's {@code COPY … TO STDOUT} text format as it streams in, handing each row to
 * a consumer as its fields: the column's text, un-escaped, or null for {@code \N}. The text is
 * what the type's output function wrote — the same form pgoutput sends — so a snapshot row and a
 * streamed row of the same value are equal. Not thread-safe.
 */
final class CopyTextRows extends OutputStream {

    private final int columns;
    private final Consumer<String[]> rows;
    private final Field field = new Field();
    private String[] row;
    private int column;
    private boolean escaped;      // the previous byte was a backslash
    private int code = -1;        // an octal or hex escape being read: its value so far
    private int codeDigits;
    private boolean hex;
    private boolean nullMarker;   // the field so far is exactly "\N"
    private long count;

    CopyTextRows(int columns, Consumer<String[]> rows) {
        this.columns = columns;
        this.rows = rows;
        this.row = new String[columns];
    }

    long rows() {
        return count;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        while (i < end) {
            if (!escaped && code < 0) {
                // Plain bytes up to the next tab, newline or backslash go in as one run.
                int run = i;
                while (run < end && bytes[run] != '\\' && bytes[run] != '\t' && bytes[run] != '\n') {
                    run++;
                }
                if (run > i) {
                    nullMarker = false;
                    field.write(bytes, i, run - i);
                    i = run;
                    continue;
                }
            }
            accept(bytes[i++]);
        }
    }

    /** The bytes of the field being read; not synchronized, unlike ByteArrayOutputStream. */
    private static final class Field {
        private byte[] bytes = new byte[256];
        private int size;

        void write(int b) {
            if (size == bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, size * 2);
            }
            bytes[size++] = (byte) b;
        }

        void write(byte[] from, int offset, int length) {
            if (size + length > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(size + length, size * 2));
            }
            System.arraycopy(from, offset, bytes, size, length);
            size += length;
        }

        int size() {
            return size;
        }

        String text() {
            return new String(bytes, 0, size, StandardCharsets.UTF_8);
        }

        void reset() {
            size = 0;
        }
    }

    private void accept(byte b) {
        if (code >= 0) {
            int digit = hex ? Character.digit(b, 16) : (b >= '0' && b <= '7' ? b - '0' : -1);
            if (digit >= 0 && codeDigits < (hex ? 2 : 3)) {
                code = code * (hex ? 16 : 8) + digit;
                codeDigits++;
                return;
            }
            if (hex && codeDigits == 0) {
                field.write('x'); // "\x" without digits is the letter x
            } else {
                field.write(code);
            }
            code = -1;
        }
        if (escaped) {
            escaped = false;
            nullMarker = false;
            switch (b) {
                case 'b' -> field.write('\b');
                case 'f' -> field.write('\f');
                case 'n' -> field.write('\n');
                case 'r' -> field.write('\r');
                case 't' -> field.write('\t');
                case 'v' -> field.write(11);
                case 'N' -> nullMarker = field.size() == 0;
                case 'x' -> {
                    code = 0;
                    codeDigits = 0;
                    hex = true;
                }
                default -> {
                    if (b >= '0' && b <= '7') {
                        code = b - '0';
                        codeDigits = 1;
                        hex = false;
                    } else {
                        field.write(b);
                    }
                }
            }
            return;
        }
        switch (b) {
            case '\\' -> escaped = true;
            case '\t' -> endField();
            case '\n' -> {
                endField();
                if (column != columns) {
                    throw new IllegalStateException("a COPY row has " + column + " fields for " + columns + " columns");
                }
                rows.accept(row);
                count++;
                row = new String[columns];
                column = 0;
            }
            default -> {
                nullMarker = false;
                field.write(b);
            }
        }
    }

    private void endField() {
        if (column >= columns) {
            throw new IllegalStateException("a COPY row has more than " + columns + " fields");
        }
        row[column++] = nullMarker ? null : field.text();
        field.reset();
        nullMarker = false;
    }
}
