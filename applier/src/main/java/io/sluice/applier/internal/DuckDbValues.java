package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.DuckDbType;
import io.sluice.format.ChangeEvent;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.SQLException;
import java.time.LocalTime;
import java.util.HexFormat;
import java.util.Map;
import org.duckdb.DuckDBAppender;

/**
 * One value of a row change appended to a DuckDB staging row as its column's DuckDB type holds it
 * exactly — or refused, naming table, column, type and the change, where DuckDB's type cannot
 * hold it (FORMAT.md has no say here: docs/applier.md, "DuckDB followers"). Stateless.
 */
final class DuckDbValues {

    /** DuckDB's TIMESTAMP infinities: the largest epoch microseconds and its negation. */
    private static final long TIMESTAMP_INFINITY = Long.MAX_VALUE;
    /** DuckDB's DATE infinities. */
    private static final int DATE_INFINITY = Integer.MAX_VALUE;

    private DuckDbValues() {
    }

    /**
     * The staging column type of a follower column: its own, but an INTERVAL travels as text
     * ({@code months|days|micros}, {@link #intervalExpression}): the appender has no INTERVAL.
     */
    static String stagingType(DuckDbType type) {
        return type.kind() == DuckDbType.Kind.INTERVAL ? "VARCHAR" : type.sql();
    }

    /** The expression that turns a staged value of column {@code staged} into the follower column's type. */
    static String fromStaging(DuckDbType type, String staged) {
        return type.kind() == DuckDbType.Kind.INTERVAL ? intervalExpression(staged) : staged;
    }

    private static String intervalExpression(String s) {
        return "(to_months(CAST(split_part(" + s + ", '|', 1) AS INTEGER)) + to_days(CAST(split_part(" + s
                + ", '|', 2) AS INTEGER)) + to_microseconds(CAST(split_part(" + s + ", '|', 3) AS BIGINT)))";
    }

    /**
     * Appends {@code v} for {@code column} of {@code type}. {@code e} and {@code identity} name the
     * row change in an error.
     */
    static void append(DuckDBAppender a, DuckDbType type, Value v, TableId table, String column, String pgType,
                       ChangeEvent e, Map<String, Value> identity) throws SQLException {
        if (v instanceof Value.Null) {
            a.appendNull();
            return;
        }
        if (v instanceof Value.Unchanged) {
            throw refused(table, column, pgType, type, "an unchanged TOAST marker, which has no value to write", e, identity);
        }
        if (type.kind() == DuckDbType.Kind.VARCHAR) {
            a.append(SqlText.of(v));
            return;
        }
        // A value comes as its PostgreSQL text (any engine may send it so) or typed; a typed one is read through its text.
        String text = v instanceof Value.Text t ? t.value() : v instanceof Value.Interval ? null : SqlText.of(v);
        try {
            switch (type.kind()) {
                case BOOLEAN -> a.append(PostgresText.bool(text));
                case SMALLINT -> a.append(Short.parseShort(text));
                case INTEGER -> a.append(Integer.parseInt(text));
                case BIGINT -> a.append(Long.parseLong(text));
                case REAL -> a.append(Float.parseFloat(text));
                case DOUBLE -> a.append(Double.parseDouble(text));
                case DECIMAL -> {
                    if (text.equals("NaN") || text.endsWith("Infinity")) {
                        throw refused(table, column, pgType, type, "'" + text + "', which DuckDB's DECIMAL cannot hold", e, identity);
                    }
                    a.append(new java.math.BigDecimal(text));
                }
                case BLOB -> {
                    if (!text.startsWith("\\x")) {
                        throw new IllegalArgumentException("not hex bytea text");
                    }
                    a.append(HexFormat.of().parseHex(text, 2, text.length()));
                }
                case UUID -> a.append(java.util.UUID.fromString(text));
                case DATE -> a.appendEpochDays(switch (text) {
                    case "infinity" -> DATE_INFINITY;
                    case "-infinity" -> -DATE_INFINITY;
                    default -> Math.toIntExact(PostgresText.epochDay(text));
                });
                case TIME -> a.appendDayMicros(PostgresText.timeMicros(text));
                case TIMETZ -> {
                    PostgresText.TimeTz t = PostgresText.timeTz(text);
                    if (t.micros() == PostgresText.MICROS_PER_DAY) {
                        a.appendDayMicros(t.micros(), t.offset().getTotalSeconds());
                    } else {
                        a.append(java.time.OffsetTime.of(LocalTime.ofNanoOfDay(t.micros() * 1000), t.offset()));
                    }
                }
                case TIMESTAMP, TIMESTAMPTZ -> a.appendEpochMicros(switch (text) {
                    case "infinity" -> TIMESTAMP_INFINITY;
                    case "-infinity" -> -TIMESTAMP_INFINITY;
                    default -> micros(text, type, table, column, pgType, e, identity);
                });
                case INTERVAL -> {
                    if (text != null && text.endsWith("infinity")) {
                        throw refused(table, column, pgType, type, "'" + text + "', which DuckDB's INTERVAL cannot hold", e, identity);
                    }
                    PostgresText.Interval iv = v instanceof Value.Interval i ? new PostgresText.Interval(i.months(), i.days(), i.micros())
                            : PostgresText.interval(text);
                    a.append(iv.months() + "|" + iv.days() + "|" + iv.micros());
                }
                default -> throw new IllegalStateException("no appender for " + type);
            }
        } catch (IllegalArgumentException | java.time.DateTimeException | ArithmeticException bad) {
            throw refused(table, column, pgType, type, "'" + text + "', which it cannot read as " + pgType + " (" + bad.getMessage()
                    + ")", e, identity);
        }
    }

    /** Epoch microseconds, refused beyond DuckDB's range (294247-01-10; PostgreSQL's ends in 294276). */
    private static long micros(String text, DuckDbType type, TableId table, String column, String pgType, ChangeEvent e,
                               Map<String, Value> identity) {
        try {
            long micros = PostgresText.epochMicros(text, type.kind() == DuckDbType.Kind.TIMESTAMPTZ);
            if (micros < TIMESTAMP_INFINITY && micros > -TIMESTAMP_INFINITY) {
                return micros;
            }
        } catch (ArithmeticException outOfRange) {
            // refused below
        }
        throw refused(table, column, pgType, type, "'" + text + "', beyond the range of DuckDB's " + type.sql()
                + " (up to 294247-01-10)", e, identity);
    }

    static ApplierException refused(TableId table, String column, String pgType, DuckDbType type, String what,
                                    ChangeEvent e, Map<String, Value> identity) {
        return new ApplierException("the DuckDB follower refuses column " + column + " of table " + table + " (PostgreSQL type "
                + pgType + ", DuckDB " + type.sql() + "): " + what + ", in " + RowText.describe(e, identity)
                + ". Skip the transaction (sluice apply --skip-transaction) or leave the table out of this follower", false, null);
    }
}
