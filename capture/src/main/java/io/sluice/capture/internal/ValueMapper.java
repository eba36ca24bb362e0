package io.sluice.capture.internal;

import io.sluice.format.Value;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Schema;

/**
 * Turns one Debezium (Kafka Connect) column value into a log-format {@link Value}, exactly.
 * Relies on the connector settings of {@link EngineProperties}: numerics and intervals as
 * strings, microsecond time types, bytes for bytea, a known placeholder for unchanged TOAST.
 */
public final class ValueMapper {

    /** What Debezium puts where an unchanged TOASTed value was not sent. */
    public static final String UNCHANGED_PLACEHOLDER = "__sluice_unchanged_toast__";
    private static final byte[] UNCHANGED_BYTES = UNCHANGED_PLACEHOLDER.getBytes(java.nio.charset.StandardCharsets.UTF_8);

    // pgjdbc's encodings of 'infinity' as Debezium hands them over.
    private static final long TIMESTAMP_POS_INFINITY = 9223372036825200000L;
    private static final long TIMESTAMP_NEG_INFINITY = -9223372036832400000L;
    /** 4714-11-24 BC, PostgreSQL's first date, in days since 1970. */
    private static final long PG_MIN_DATE_DAYS = -2_440_588L;
    /** 4714-11-24 00:00:00 BC, PostgreSQL's first timestamp, in microseconds since 1970. */
    private static final long PG_MIN_TIMESTAMP_MICROS = -210_866_803_200_000_000L;
    // Streaming decodes PostgreSQL's own int date (INT_MAX/INT_MIN shifted to 1970); the snapshot
    // reads pgjdbc's millisecond constants and converts them to days in 32 bits. Neither is a
    // date PostgreSQL can hold, except 622191232/3 (year 1705471), which is read as -infinity.
    private static final java.util.Set<Integer> DATE_POS_INFINITY = java.util.Set.of(-2147472692, -622191234);
    private static final java.util.Set<Integer> DATE_NEG_INFINITY = java.util.Set.of(-2147472691, 622191233, 622191232);

    private static final String SOURCE_TYPE = "__debezium.source.column.type";
    private static final Pattern ISO_INTERVAL = Pattern.compile(
            "P(?:(-?\\d+)Y)?(?:(-?\\d+)M)?(?:(-?\\d+)D)?(?:T(?:(-?\\d+)H)?(?:(-?\\d+)M)?(?:(-?\\d+)(?:\\.(\\d{1,9}))?S)?)?");

    private ValueMapper() {
    }

    /** Maps a value; {@code column} names it in errors. */
    public static Value map(Schema schema, Object value, String column) {
        if (value == null) {
            return Value.Null.INSTANCE;
        }
        if (isUnchanged(value)) {
            return Value.Unchanged.INSTANCE;
        }
        String name = schema.name() == null ? "" : schema.name();
        try {
            switch (name) {
                case "io.debezium.data.Json":
                    return new Value.Json((String) value);
                case "io.debezium.data.Uuid":
                    return new Value.Uuid(java.util.UUID.fromString((String) value));
                case "io.debezium.time.Date":
                    return date(((Number) value).intValue());
                case "io.debezium.time.MicroTime":
                    return time(((Number) value).longValue() * 1000);
                case "io.debezium.time.MicroTimestamp":
                    return timestamp(((Number) value).longValue());
                case "io.debezium.time.Timestamp":
                    // timestamp(0..3) under adaptive_time_microseconds: milliseconds since the epoch
                    return timestampMillis(((Number) value).longValue());
                case "io.debezium.time.Time":
                    return time(((Number) value).longValue() * 1_000_000L);
                case "io.debezium.time.ZonedTimestamp":
                    return timestamptz((String) value);
                case "io.debezium.time.ZonedTime":
                    return new Value.TimeTz(OffsetTime.parse((String) value, DateTimeFormatter.ISO_OFFSET_TIME));
                case "io.debezium.time.Interval":
                    return interval((String) value);
                default:
                    break;
            }
            return switch (schema.type()) {
                case BOOLEAN -> new Value.Bool((Boolean) value);
                case INT8, INT16, INT32, INT64 -> new Value.Int(((Number) value).longValue());
                case FLOAT32 -> new Value.Float64(((Float) value).doubleValue());
                case FLOAT64 -> new Value.Float64((Double) value);
                case BYTES -> new Value.Bytes(bytes(value));
                case STRING -> isNumeric(schema) ? numeric((String) value) : new Value.Text((String) value);
                case ARRAY -> array(schema, (List<?>) value, column);
                default -> throw new IllegalArgumentException("unsupported Connect type " + schema.type());
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("column '" + column + "' of type " + describe(schema) + ": cannot map value "
                    + abbreviate(value) + " (" + e.getMessage() + ")", e);
        }
    }

    private static boolean isUnchanged(Object value) {
        if (value instanceof String s) {
            return s.equals(UNCHANGED_PLACEHOLDER);
        }
        if (value instanceof ByteBuffer b) {
            return b.remaining() == UNCHANGED_BYTES.length && Arrays.equals(bytes(b), UNCHANGED_BYTES);
        }
        if (value instanceof byte[] b) {
            return Arrays.equals(b, UNCHANGED_BYTES);
        }
        if (value instanceof List<?> l) {
            return l.size() == 1 && l.get(0) != null && isUnchanged(l.get(0));
        }
        return false;
    }

    private static boolean isNumeric(Schema schema) {
        Map<String, String> params = schema.parameters();
        String type = params == null ? null : params.get(SOURCE_TYPE);
        return type != null && (type.equals("NUMERIC") || type.equals("DECIMAL") || type.equals("_NUMERIC"));
    }

    private static Value numeric(String text) {
        return new Value.Numeric(switch (text) {
            case "NAN", "NaN" -> "NaN";
            case "POSITIVE_INFINITY", "Infinity", "INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY", "-Infinity", "-INFINITY" -> "-Infinity";
            default -> text;
        });
    }

    private static Value date(int days) {
        if (DATE_POS_INFINITY.contains(days)) {
            return new Value.Infinity(true);
        }
        if (DATE_NEG_INFINITY.contains(days)) {
            return new Value.Infinity(false);
        }
        if (days < PG_MIN_DATE_DAYS) {
            throw new IllegalArgumentException("Debezium reported a date before 4714 BC (" + days + " days since 1970),"
                    + " which PostgreSQL cannot hold: an 'infinity' or '-infinity' it could not represent;"
                    + " capture.engine=pgoutput carries it");
        }
        return new Value.Date(LocalDate.ofEpochDay(days));
    }

    private static Value timestamp(long micros) {
        if (micros == TIMESTAMP_POS_INFINITY) {
            return new Value.Infinity(true);
        }
        if (micros == TIMESTAMP_NEG_INFINITY) {
            return new Value.Infinity(false);
        }
        if (micros < PG_MIN_TIMESTAMP_MICROS) {
            // In a snapshot Debezium turns the infinities into overflowed numbers whose sign it
            // does not keep: which infinity it was cannot be told, so it is refused, not guessed.
            throw new IllegalArgumentException("Debezium reported a timestamp before 4714 BC (" + micros + " µs since 1970),"
                    + " which PostgreSQL cannot hold: an 'infinity' or '-infinity' it could not represent;"
                    + " capture.engine=pgoutput carries it");
        }
        return new Value.Timestamp(LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1000, ZoneOffset.UTC));
    }

    private static Value timestampMillis(long millis) {
        if (millis == TIMESTAMP_POS_INFINITY || millis == TIMESTAMP_NEG_INFINITY) {
            return timestamp(millis);
        }
        return timestamp(Math.multiplyExact(millis, 1000L));
    }

    private static Value timestamptz(String text) {
        return switch (text) {
            case "infinity" -> new Value.Infinity(true);
            case "-infinity" -> new Value.Infinity(false);
            default -> new Value.TimestampTz(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from));
        };
    }

    /** ISO 8601 as Debezium writes PostgreSQL intervals: each field signed, e.g. P1Y2M-3DT4H5M6.000007S. */
    static Value interval(String text) {
        Matcher m = ISO_INTERVAL.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an ISO 8601 interval: " + text);
        }
        long months = 12 * num(m.group(1)) + num(m.group(2));
        long days = num(m.group(3));
        long micros = (num(m.group(4)) * 3600 + num(m.group(5)) * 60 + num(m.group(6))) * 1_000_000L;
        if (m.group(7) != null) {
            String frac = (m.group(7) + "000000").substring(0, 6);
            long f = Long.parseLong(frac);
            micros += m.group(6) != null && m.group(6).startsWith("-") ? -f : f;
        }
        return new Value.Interval(Math.toIntExact(months), Math.toIntExact(days), micros);
    }

    private static long num(String s) {
        return s == null ? 0 : Long.parseLong(s);
    }

    private static Value array(Schema schema, List<?> list, String column) {
        Schema element = schema.valueSchema();
        List<Value> out = new ArrayList<>(list.size());
        for (Object o : list) {
            out.add(map(element, o, column + "[]"));
        }
        return new Value.Array(out);
    }

    /** The bytes of a Connect BYTES value (a byte[] or a ByteBuffer), without moving the buffer. */
    static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static String describe(Schema schema) {
        Map<String, String> params = schema.parameters();
        return (params != null && params.get(SOURCE_TYPE) != null ? params.get(SOURCE_TYPE) + "/" : "")
                + schema.type() + (schema.name() != null ? "(" + schema.name() + ")" : "");
    }

    private static String abbreviate(Object value) {
        String s = String.valueOf(value);
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    /** PostgreSQL's {@code time} includes 24:00:00, which LocalTime cannot hold: it travels as its text. */
    private static Value time(long nanoOfDay) {
        return nanoOfDay == 86_400_000_000_000L ? new Value.Text("24:00:00") : new Value.Time(LocalTime.ofNanoOfDay(nanoOfDay));
    }
}
