package io.sluice.format;

import java.util.Arrays;

/**
 * Identifier strings by their UTF-8 bytes, direct-mapped, shared by every thread: an entry is
 * immutable and replaced whole, so a reader sees an old entry or a new one, never half of one.
 */
final class NameCache {

    static final NameCache SHARED = new NameCache();

    private static final int SLOTS = 1024;
    private static final int MAX_LENGTH = 64;
    private final Entry[] slots = new Entry[SLOTS];

    private record Entry(byte[] bytes, String string) { }

    String get(byte[] buf, int pos, int n) {
        if (n > MAX_LENGTH) {
            return null;
        }
        Entry e = slots[slot(buf, pos, n)];
        return e != null && Arrays.equals(e.bytes, 0, e.bytes.length, buf, pos, pos + n) ? e.string : null;
    }

    void put(byte[] buf, int pos, int n, String s) {
        if (n <= MAX_LENGTH) {
            slots[slot(buf, pos, n)] = new Entry(Arrays.copyOfRange(buf, pos, pos + n), s);
        }
    }

    private static int slot(byte[] buf, int pos, int n) {
        int h = n;
        for (int i = pos; i < pos + n; i++) {
            h = 31 * h + buf[i];
        }
        h ^= h >>> 16;
        return h & (SLOTS - 1);
    }
}
