package io.sluice.format;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * A value in PostgreSQL's own text input syntax. The applier binds every value as text of
 * unspecified type ({@code stringtype=unspecified}), so the follower parses it with the column's
 * own input function: exact for every type, and a value the column cannot hold is the
 * follower's error, never a silent conversion. Stateless.
 */
public final class SqlText {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd");

    private SqlText() {
    }

    /** The text for a non-null, changed value; {@code null} for SQL NULL. */
    public static String of(Value v) {
        if (v instanceof Value.Null) {
            return null;
        }
        if (v instanceof Value.Unchanged) {
            throw new IllegalArgumentException("an unchanged TOAST marker has no value to write");
        }
        if (v instanceof Value.Bool b) {
            return b.value() ? "t" : "f";
        } else if (v instanceof Value.Int i) {
            return Long.toString(i.value());
        } else if (v instanceof Value.Numeric n) {
            return n.text();
        } else if (v instanceof Value.Float64 f) {
            double d = f.value();
            return Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : Double.toString(d);
        } else if (v instanceof Value.Text t) {
            return t.value();
        } else if (v instanceof Value.Json j) {
            return j.value();
        } else if (v instanceof Value.Bytes b) {
            return "\\x" + HexFormat.of().formatHex(b.value());
        } else if (v instanceof Value.Uuid u) {
            return u.value().toString();
        } else if (v instanceof Value.Date d) {
            return date(d.value());
        } else if (v instanceof Value.Time t) {
            return time(t.value());
        } else if (v instanceof Value.TimeTz t) {
            return time(t.value().toLocalTime()) + t.value().getOffset().getId().replace("Z", "+00:00");
        } else if (v instanceof Value.Timestamp t) {
            return timestamp(t.value());
        } else if (v instanceof Value.TimestampTz t) {
            String s = timestamp(LocalDateTime.ofInstant(t.value(), ZoneOffset.UTC));
            return s.endsWith(" BC") ? s.substring(0, s.length() - 3) + "+00 BC" : s + "+00";
        } else if (v instanceof Value.Infinity inf) {
            return inf.positive() ? "infinity" : "-infinity";
        } else if (v instanceof Value.Interval iv) {
            return iv.months() + " mons " + iv.days() + " days " + iv.micros() + " microseconds";
        } else if (v instanceof Value.Array a) {
            return array(a);
        }
        throw new IllegalArgumentException("no SQL text for " + v);
    }

    private static String date(LocalDate d) {
        if (d.getYear() > 0 && d.getYear() <= 9999) {
            char[] c = new char[10];
            digits(c, 0, d.getYear(), 4);
            c[4] = '-';
            digits(c, 5, d.getMonthValue(), 2);
            c[7] = '-';
            digits(c, 8, d.getDayOfMonth(), 2);
            return new String(c);
        }
        if (d.getYear() > 0) {
            return d.format(DATE);
        }
        // ISO year 0 is 1 BC.
        return d.withYear(1 - d.getYear()).format(DATE) + " BC";
    }

    private static String timestamp(LocalDateTime t) {
        String time = time(t.toLocalTime());
        if (t.getYear() > 0) {
            return date(t.toLocalDate()) + " " + time;
        }
        return t.toLocalDate().withYear(1 - t.getYear()).format(DATE) + " " + time + " BC";
    }

    /**
     * {@code HH:mm:ss.SSSSSS} (microseconds, truncated as the pattern does), written by hand: the
     * formatter's fraction goes through BigDecimal, and every timestamp of a catch-up passes here.
     */
    private static String time(LocalTime t) {
        char[] c = new char[15];
        digits(c, 0, t.getHour(), 2);
        c[2] = ':';
        digits(c, 3, t.getMinute(), 2);
        c[5] = ':';
        digits(c, 6, t.getSecond(), 2);
        c[8] = '.';
        digits(c, 9, t.getNano() / 1000, 6);
        return new String(c);
    }

    /** Writes {@code value} (non-negative) as exactly {@code width} digits, zero-padded. */
    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    private static String array(Value.Array a) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < a.elements().size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            Value e = a.elements().get(i);
            if (e instanceof Value.Null) {
                sb.append("NULL");
            } else if (e instanceof Value.Array nested) {
                sb.append(array(nested));
            } else {
                sb.append('"').append(of(e).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }
}
