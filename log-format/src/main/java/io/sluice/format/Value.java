package io.sluice.format;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One column value of a row event, typed so that every PostgreSQL value of a supported type is
 * held exactly. The column's PostgreSQL type (in {@link Column}) says which SQL type the value
 * belongs to; the value kind says how it is held.
 *
 * <p>{@link Null} (SQL NULL) and {@link Unchanged} (an unchanged TOASTed value that the source
 * did not send) are distinct: an applier writes NULL for the first and leaves the follower's
 * value as it is for the second. All values are immutable and thread-safe.
 */
public sealed interface Value {

    /** SQL NULL. */
    enum Null implements Value { INSTANCE }

    /** A TOASTed value that did not change and was not sent: keep whatever the follower has. */
    enum Unchanged implements Value { INSTANCE }

    /** boolean. */
    record Bool(boolean value) implements Value { }

    /** smallint, integer, bigint (the column type tells the width). */
    record Int(long value) implements Value {
        // equals and hashCode written out for the reason TableId gives: key values are hash keys.
        @Override
        public boolean equals(Object o) {
            return o instanceof Int i && value == i.value;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(value);
        }
    }

    /**
     * numeric / decimal, constrained or not: a plain decimal string with its exact scale, or
     * {@code NaN}, {@code Infinity}, {@code -Infinity}.
     */
    record Numeric(String text) implements Value {
        public Numeric {
            Objects.requireNonNull(text, "numeric text");
            if (!text.equals("NaN") && !text.equals("Infinity") && !text.equals("-Infinity")) {
                try {
                    new BigDecimal(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a numeric value: '" + text + "'");
                }
            }
        }

        public static Numeric of(BigDecimal value) {
            return new Numeric(value.toPlainString());
        }

        public boolean isSpecial() {
            return text.equals("NaN") || text.endsWith("Infinity");
        }

        /** The exact value; throws for NaN and the infinities. */
        public BigDecimal decimal() {
            if (isSpecial()) {
                throw new ArithmeticException(text + " has no BigDecimal value");
            }
            return new BigDecimal(text);
        }
    }

    /** real and double precision, NaN and the infinities included (a real is widened exactly). */
    record Float64(double value) implements Value {
        @Override
        public boolean equals(Object o) {
            return o instanceof Float64 f && Double.compare(f.value, value) == 0;
        }

        @Override
        public int hashCode() {
            return Double.hashCode(value);
        }
    }

    /**
     * Values held as their exact PostgreSQL text: text, varchar(n), char(n), enum labels, inet,
     * cidr, macaddr, and other types the column type names.
     *
     * <p>A text that arrives as UTF-8 bytes (from pgoutput, from the binary format) is kept as
     * those bytes and becomes a {@code String} only when something reads it as one: a value that
     * passes through capture or into a COPY is never decoded and encoded again. Either way it is
     * valid Unicode: bytes that are not valid UTF-8 are refused when the value is made.
     */
    final class Text implements Value {
        /** The UTF-8 bytes, or null when the text was made from a String. */
        private final byte[] utf8;
        /** The text as a String: given, or decoded on first use (a racy but idempotent cache). */
        private String string;

        public Text(String value) {
            this.string = Objects.requireNonNull(value, "text value");
            this.utf8 = null;
        }

        private Text(byte[] utf8, String string) {
            this.utf8 = utf8;
            this.string = string;
        }

        /**
         * The text whose UTF-8 encoding is {@code bytes}. They are kept, not copied: the caller
         * must not change them afterwards.
         *
         * @throws IllegalArgumentException if they are not valid UTF-8
         */
        public static Text ofUtf8(byte[] bytes) {
            // ASCII stays undecoded; anything else is checked — and decoded, the String kept — now, once.
            return new Text(bytes, StrictUtf8.ascii(bytes, 0, bytes.length) ? null : StrictUtf8.decode(bytes, 0, bytes.length));
        }

        /** The text. */
        public String value() {
            String s = string;
            if (s == null) {
                // Only ASCII bytes are left undecoded (ofUtf8): one char per byte.
                s = new String(utf8, StandardCharsets.ISO_8859_1);
                string = s;
            }
            return s;
        }

        /** Whether the text is held as UTF-8 bytes ({@link #utf8()} is then a view, not an encoding). */
        public boolean heldAsUtf8() {
            return utf8 != null;
        }

        /**
         * The text's UTF-8 bytes, read-only; encoded from the String when the text was made from one.
         *
         * @throws IllegalArgumentException if the String is not valid Unicode (an unpaired surrogate)
         */
        public ByteBuffer utf8() {
            if (utf8 != null) {
                return ByteBuffer.wrap(utf8).asReadOnlyBuffer();
            }
            return StrictUtf8.encode(string).asReadOnlyBuffer();
        }

        /** Writes the text as the binary format does: its UTF-8 length, then the bytes. */
        void writeTo(BinaryOut out) {
            if (utf8 != null) {
                out.bytes(utf8);
            } else {
                out.string(string);
            }
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Text t)) {
                return false;
            }
            if (utf8 != null && t.utf8 != null) {
                return Arrays.equals(utf8, t.utf8);
            }
            return value().equals(t.value());
        }

        /** The String's hash code, computed from ASCII bytes without decoding them. */
        @Override
        public int hashCode() {
            String s = string;
            if (s != null) {
                return s.hashCode();
            }
            int h = 0;
            for (byte b : utf8) {
                h = 31 * h + b;
            }
            return h;
        }

        @Override
        public String toString() {
            return "Text[value=" + value() + "]";
        }
    }

    /** json and jsonb, as the document's text. */
    record Json(String value) implements Value {
        public Json {
            Objects.requireNonNull(value, "json value");
        }
    }

    /** bytea. The array is copied in and out, so the value stays immutable. */
    record Bytes(byte[] value) implements Value {
        public Bytes {
            value = Objects.requireNonNull(value, "bytea value").clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(b.value, value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Bytes[" + Base64.getEncoder().encodeToString(value) + "]";
        }
    }

    /** uuid. */
    record Uuid(UUID value) implements Value {
        public Uuid {
            Objects.requireNonNull(value, "uuid value");
        }
    }

    /** date. */
    record Date(LocalDate value) implements Value {
        public Date {
            Objects.requireNonNull(value, "date value");
        }
    }

    /** time without time zone, microsecond precision. */
    record Time(LocalTime value) implements Value {
        public Time {
            Objects.requireNonNull(value, "time value");
        }
    }

    /** time with time zone: a time of day and its UTC offset. */
    record TimeTz(OffsetTime value) implements Value {
        public TimeTz {
            Objects.requireNonNull(value, "timetz value");
        }
    }

    /** timestamp without time zone. */
    record Timestamp(LocalDateTime value) implements Value {
        public Timestamp {
            Objects.requireNonNull(value, "timestamp value");
        }
    }

    /** timestamp with time zone: an instant (PostgreSQL stores it as UTC). */
    record TimestampTz(Instant value) implements Value {
        public TimestampTz {
            Objects.requireNonNull(value, "timestamptz value");
        }
    }

    /** {@code infinity} or {@code -infinity} of a date, timestamp or timestamptz column. */
    record Infinity(boolean positive) implements Value { }

    /** interval, exactly as PostgreSQL holds it: months, days and microseconds, each signed. */
    record Interval(int months, int days, long micros) implements Value { }

    /** An array of values of the column's element type; elements may be NULL or nested arrays. */
    record Array(List<Value> elements) implements Value {
        public Array {
            elements = List.copyOf(Objects.requireNonNull(elements, "array elements").stream()
                    .map(e -> e == null ? Null.INSTANCE : e).toList());
            for (Value e : elements) {
                if (e instanceof Unchanged) {
                    throw new IllegalArgumentException("an array element cannot be an unchanged TOAST marker");
                }
            }
        }
    }
}
