package io.sluice.applier.internal;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;

/**
 * Reads the text PostgreSQL's output functions print with the stream's output settings (DateStyle
 * ISO, IntervalStyle postgres: FORMAT.md, "Values") into the numbers a DuckDB appender takes. Each
 * method throws {@link IllegalArgumentException} for text it cannot read exactly; the caller names
 * the column. Stateless.
 */
final class PostgresText {

    static final long MICROS_PER_DAY = 86_400_000_000L;

    private PostgresText() {
    }

    /** {@code t} / {@code f}. */
    static boolean bool(String s) {
        return switch (s) {
            case "t", "true" -> true;
            case "f", "false" -> false;
            default -> throw new IllegalArgumentException("not a boolean: '" + s + "'");
        };
    }

    /** A date's epoch day, {@code yyyy-mm-dd} with an optional {@code BC}. */
    static long epochDay(String s) {
        boolean bc = s.endsWith(" BC");
        String d = bc ? s.substring(0, s.length() - 3) : s;
        int a = d.indexOf('-', 1);
        int b = d.indexOf('-', a + 1);
        if (a < 0 || b < 0 || b + 3 != d.length()) {
            throw new IllegalArgumentException("not an ISO date: '" + s + "'");
        }
        int year = Integer.parseInt(d.substring(0, a));
        return LocalDate.of(bc ? 1 - year : year, Integer.parseInt(d.substring(a + 1, b)), Integer.parseInt(d.substring(b + 1)))
                .toEpochDay();
    }

    /** A time of day in microseconds, {@code 24:00:00} included. */
    static long timeMicros(String s) {
        if (s.equals("24:00:00")) {
            return MICROS_PER_DAY;
        }
        return LocalTime.parse(s).toNanoOfDay() / 1000;
    }

    /** Where a time's UTC offset starts ({@code +hh[:mm[:ss]]} or {@code -…}) after position {@code from}. */
    static int offsetStart(String s, int from) {
        for (int i = s.length() - 1; i > from; i--) {
            char c = s.charAt(i);
            if (c == '+' || c == '-') {
                return i;
            }
        }
        throw new IllegalArgumentException("no UTC offset in '" + s + "'");
    }

    /** A UTC offset {@code +hh[:mm[:ss]]} in seconds east of UTC. */
    static int offsetSeconds(String s) {
        int sign = s.charAt(0) == '-' ? -1 : 1;
        String[] p = s.substring(1).split(":");
        int seconds = Integer.parseInt(p[0]) * 3600 + (p.length > 1 ? Integer.parseInt(p[1]) * 60 : 0)
                + (p.length > 2 ? Integer.parseInt(p[2]) : 0);
        return sign * seconds;
    }

    /**
     * A timestamp's epoch microseconds (UTC for {@code withZone}, else as written): {@code
     * yyyy-mm-dd hh:mm:ss[.ffffff][±hh[:mm[:ss]]][ BC]}. Throws {@link ArithmeticException} beyond
     * a long's range.
     */
    static long epochMicros(String s, boolean withZone) {
        boolean bc = s.endsWith(" BC");
        String t = bc ? s.substring(0, s.length() - 3) : s;
        int space = t.indexOf(' ');
        if (space < 0) {
            throw new IllegalArgumentException("not an ISO timestamp: '" + s + "'");
        }
        int offset = 0;
        String time = t.substring(space + 1);
        if (withZone) {
            int at = offsetStart(time, 0);
            offset = offsetSeconds(time.substring(at));
            time = time.substring(0, at);
        }
        long day = epochDay(t.substring(0, space) + (bc ? " BC" : ""));
        long micros = Math.addExact(Math.multiplyExact(day, MICROS_PER_DAY), timeMicros(time));
        return Math.subtractExact(micros, offset * 1_000_000L);
    }

    /** A time with time zone's offset from UTC, with {@link #timeMicros} of its time. */
    record TimeTz(long micros, ZoneOffset offset) { }

    static TimeTz timeTz(String s) {
        int at = offsetStart(s, 0);
        return new TimeTz(timeMicros(s.substring(0, at)), ZoneOffset.ofTotalSeconds(offsetSeconds(s.substring(at))));
    }

    /** An interval as PostgreSQL holds it. */
    record Interval(int months, int days, long micros) { }

    /**
     * An interval in IntervalStyle {@code postgres}: {@code [n year[s]] [n mon[s]] [n day[s]]
     * [[+-]hh:mm:ss[.ffffff]]}, each part signed.
     */
    static Interval interval(String s) {
        long months = 0;
        long days = 0;
        long micros = 0;
        String[] parts = s.trim().split(" +");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.indexOf(':') >= 0) {
                boolean negative = p.startsWith("-");
                String[] hms = (p.startsWith("-") || p.startsWith("+") ? p.substring(1) : p).split(":");
                if (hms.length != 3) {
                    throw new IllegalArgumentException("not an interval time: '" + p + "' in '" + s + "'");
                }
                String[] sec = hms[2].split("\\.");
                String frac = sec.length > 1 ? (sec[1] + "000000").substring(0, 6) : "000000";
                long m = Math.addExact(Math.multiplyExact(Long.parseLong(hms[0]), 3_600_000_000L),
                        Long.parseLong(hms[1]) * 60_000_000L + Long.parseLong(sec[0]) * 1_000_000L + Long.parseLong(frac));
                micros = negative ? -m : m;
                continue;
            }
            if (i + 1 >= parts.length) {
                throw new IllegalArgumentException("not an interval: '" + s + "'");
            }
            long n = Long.parseLong(p);
            String unit = parts[++i];
            switch (unit) {
                case "year", "years" -> months += n * 12;
                case "mon", "mons" -> months += n;
                case "day", "days" -> days += n;
                default -> throw new IllegalArgumentException("not an interval unit: '" + unit + "' in '" + s + "'");
            }
        }
        return new Interval(Math.toIntExact(months), Math.toIntExact(days), micros);
    }
}
