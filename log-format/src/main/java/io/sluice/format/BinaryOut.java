package io.sluice.format;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A growable byte buffer the binary encoder writes into; several payloads can be appended into one. */
final class BinaryOut {
    private byte[] buf;
    private int len;

    BinaryOut(int capacity) {
        buf = new byte[capacity];
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    void write(int b) {
        ensure(1);
        buf[len++] = (byte) b;
    }

    void varlong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    void fixed64(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[len++] = (byte) (v >>> shift);
        }
    }

    void bytes(byte[] b) {
        varlong(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    void string(String s) {
        int n = s.length();
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            varlong(n);
            ensure(n);
            s.getBytes(0, n, buf, len); // ASCII: one byte per char
            len += n;
            return;
        }
        ByteBuffer utf8 = StrictUtf8.encode(s);
        varlong(utf8.remaining());
        ensure(utf8.remaining());
        int size = utf8.remaining();
        utf8.get(buf, len, size);
        len += size;
    }

    /** Bytes as they are, without a length. */
    void raw(byte[] b, int offset, int length) {
        ensure(length);
        System.arraycopy(b, offset, buf, len, length);
        len += length;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    int length() {
        return len;
    }

    /** Drops what was written after {@code length} (an event that failed half-way). */
    void truncate(int length) {
        len = length;
    }

    void append(BinaryOut other) {
        ensure(other.len);
        System.arraycopy(other.buf, 0, buf, len, other.len);
        len += other.len;
    }
}
