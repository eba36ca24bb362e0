package io.sluice.format;

import static io.sluice.format.BinaryTags.*;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * A cursor over one binary payload: the primitive reads, each bounded by the bytes left, the values
 * built of them (by tag, FORMAT.md), and the event, field and column being read, so that every
 * error names what and at which byte.
 */
class BinaryIn {

    final byte[] buf;
    final int start;
    final int end;
    int pos;
    String field = "the header";
    String column;
    String kind;

    BinaryIn(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.start = offset;
        this.end = offset + length;
        this.pos = offset;
    }

    int flags(String what, int max) {
        int b = need(1, what) & 0xFF;
        pos++;
        if (b > max) {
            throw fail("\"" + what + "\" byte " + b + " is out of range 0.." + max);
        }
        return b;
    }

    /** A count of items of at least {@code minBytes} each: never more than the bytes left could hold. */
    int count(int minBytes) {
        long n = varlong();
        if (n < 0 || n > (end - pos) / minBytes) {
            throw fail("a count of " + n + " items is more than the " + (end - pos) + " bytes left can hold (truncated?)");
        }
        return (int) n;
    }

    long varlong() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1, "a number");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                if (shift == 63 && (b & 0x7E) != 0) {
                    break;
                }
                return result;
            }
        }
        throw fail("a number longer than 64 bits");
    }

    long fixed64() {
        need(8, "an 8-byte number");
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (buf[pos++] & 0xFF);
        }
        return v;
    }

    byte[] bytes() {
        int n = count(1);
        byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** A string that names something (source, schema, table, column): shared through the cache. */
    String name() {
        int n = count(1);
        String s = NameCache.SHARED.get(buf, pos, n);
        if (s == null) {
            s = utf8(n);
            NameCache.SHARED.put(buf, pos, n, s);
        }
        pos += n;
        return s;
    }

    String string() {
        int n = count(1);
        String s = utf8(n);
        pos += n;
        return s;
    }

    /**
     * A text value, kept as its UTF-8 bytes: copied out of the payload, which may be a whole fetch
     * response that a value outliving its event must not keep alive.
     */
    Value.Text text() {
        int n = count(1);
        Value.Text t;
        try {
            t = Value.Text.ofUtf8(Arrays.copyOfRange(buf, pos, pos + n));
        } catch (IllegalArgumentException e) {
            throw fail("text is not valid UTF-8");
        }
        pos += n;
        return t;
    }

    /** One value by its tag; an array's elements each at {@code depth + 1}, refused past {@code MAX_ARRAY_DEPTH}. */
    Value value(int depth) {
        int tag = need(1, "a value tag") & 0xFF;
        pos++;
        try {
            return switch (tag) {
                case T_NULL -> Value.Null.INSTANCE;
                case T_UNCHANGED -> Value.Unchanged.INSTANCE;
                case T_FALSE -> new Value.Bool(false);
                case T_TRUE -> new Value.Bool(true);
                case T_INT -> new Value.Int(unzigzag(varlong()));
                case T_NUMERIC -> new Value.Numeric(string());
                case T_FLOAT -> new Value.Float64(Double.longBitsToDouble(fixed64()));
                case T_TEXT -> text();
                case T_JSON -> new Value.Json(string());
                case T_BYTES -> new Value.Bytes(bytes());
                case T_UUID -> new Value.Uuid(new UUID(fixed64(), fixed64()));
                case T_DATE -> new Value.Date(LocalDate.ofEpochDay(unzigzag(varlong())));
                case T_TIME -> new Value.Time(LocalTime.ofNanoOfDay(Math.multiplyExact(varlong(), 1000L)));
                case T_TIMETZ -> {
                    LocalTime time = LocalTime.ofNanoOfDay(Math.multiplyExact(varlong(), 1000L));
                    yield new Value.TimeTz(OffsetTime.of(time, ZoneOffset.ofTotalSeconds(Math.toIntExact(unzigzag(varlong())))));
                }
                case T_TIMESTAMP -> {
                    long micros = unzigzag(varlong());
                    yield new Value.Timestamp(LocalDateTime.ofEpochSecond(PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
                            (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC));
                }
                case T_TIMESTAMPTZ -> {
                    long micros = unzigzag(varlong());
                    yield new Value.TimestampTz(Instant.ofEpochSecond(PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
                            Math.floorMod(micros, 1_000_000L) * 1000));
                }
                case T_PLUS_INFINITY -> new Value.Infinity(true);
                case T_MINUS_INFINITY -> new Value.Infinity(false);
                case T_INTERVAL -> new Value.Interval(Math.toIntExact(unzigzag(varlong())),
                        Math.toIntExact(unzigzag(varlong())), unzigzag(varlong()));
                case T_ARRAY -> {
                    if (depth >= MAX_ARRAY_DEPTH) {
                        throw fail("arrays nested deeper than " + MAX_ARRAY_DEPTH);
                    }
                    int n = count(1);
                    List<Value> elements = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        elements.add(value(depth + 1));
                    }
                    yield new Value.Array(elements);
                }
                default -> throw fail("unknown value tag " + tag);
            };
        } catch (java.time.DateTimeException | ArithmeticException | IllegalArgumentException e) {
            throw fail("bad value (tag " + tag + "): " + e.getMessage());
        }
    }

    String utf8(int n) {
        try {
            return StrictUtf8.decode(buf, pos, n);
        } catch (IllegalArgumentException e) {
            throw fail("text is not valid UTF-8");
        }
    }

    byte need(int n, String what) {
        if (end - pos < n) {
            throw new FormatException("truncated payload: it ends at byte " + (end - start) + " inside " + what
                    + " of " + where());
        }
        return buf[pos];
    }

    String where() {
        return (kind == null ? "the event" : "the " + kind + " event") + ", field \"" + field + "\""
                + (column == null ? "" : ", column \"" + column + "\"");
    }

    FormatException fail(String reason) {
        return new FormatException(reason + " (" + where() + ", at byte " + (pos - start) + ")");
    }
}
