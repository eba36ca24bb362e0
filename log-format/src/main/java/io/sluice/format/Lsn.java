package io.sluice.format;

/**
 * A PostgreSQL log sequence number: a 64-bit unsigned position in the write-ahead log.
 *
 * <p>Written as two hexadecimal halves, {@code X/Y} (upper and lower 32 bits), exactly as
 * PostgreSQL prints it. Ordering is unsigned. Immutable and thread-safe.
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** The zero position, PostgreSQL's {@code 0/0} ("invalid" LSN); below every real position. */
    public static final Lsn ZERO = new Lsn(0L);

    /**
     * Parses {@code X/Y} where X and Y are 1–8 hexadecimal digits.
     *
     * @throws IllegalArgumentException naming the input and what is wrong with it
     */
    public static Lsn parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN is null; expected X/Y with hexadecimal X and Y, e.g. 16/B374D848");
        }
        int slash = text.indexOf('/');
        if (slash < 0 || slash != text.lastIndexOf('/')) {
            throw malformed(text, "expected exactly one '/'");
        }
        long hi = half(text, text.substring(0, slash), "upper");
        long lo = half(text, text.substring(slash + 1), "lower");
        return new Lsn(hi << 32 | lo);
    }

    private static long half(String text, String part, String which) {
        if (part.isEmpty() || part.length() > 8) {
            throw malformed(text, which + " half must have 1 to 8 hexadecimal digits, found '" + part + "'");
        }
        for (int i = 0; i < part.length(); i++) {
            if (Character.digit(part.charAt(i), 16) < 0) {
                throw malformed(text, which + " half has a non-hexadecimal character '" + part.charAt(i) + "'");
            }
        }
        return Long.parseLong(part, 16);
    }

    private static IllegalArgumentException malformed(String text, String reason) {
        return new IllegalArgumentException("malformed LSN '" + text + "': " + reason
                + " (expected X/Y with hexadecimal X and Y, e.g. 16/B374D848)");
    }

    /** Bytes of WAL between {@code older} and this position; negative when {@code older} is ahead. */
    public long minus(Lsn older) {
        return value - older.value;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    public boolean isAtOrBefore(Lsn other) {
        return compareTo(other) <= 0;
    }

    /** The later of two positions; a null one (no position known yet) gives the other. */
    public static Lsn later(Lsn a, Lsn b) {
        return a == null ? b : b == null || a.isAfter(b) ? a : b;
    }

    /** The earlier of two positions. */
    public static Lsn earlier(Lsn a, Lsn b) {
        return a.isAfter(b) ? b : a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lsn l && value == l.value; // written out, as TableId's are
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    /** {@code X/Y}, upper-case hexadecimal, as PostgreSQL prints it. */
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
