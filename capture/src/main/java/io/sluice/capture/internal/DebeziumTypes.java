package io.sluice.capture.internal;

import io.sluice.format.Column;
import io.sluice.format.TableId;
import java.util.Set;

/**
 * The column types the Debezium engine carries exactly (docs/capture.md, *Types*): Debezium maps
 * each value into a Kafka Connect type, and for other types that mapping changes values (a
 * {@code timetz} offset, a bit string's length), drops them (arrays of many element types are
 * left out of the row) or fails on a valid value. No array is carried: a column's type does not
 * say how many dimensions its values have, and Debezium turns a multi-dimensional value into
 * NULLs while streaming. Capture refuses a table with such a column before any of its rows reach
 * the stream, naming table, column and type, instead of mangling it.
 */
public final class DebeziumTypes {

    private static final Set<String> SCALARS = Set.of("smallint", "integer", "bigint", "numeric", "real",
            "double precision", "boolean", "text", "character varying", "character", "bytea", "date",
            "time without time zone", "timestamp without time zone", "timestamp with time zone", "uuid",
            "json", "jsonb", "inet", "cidr", "macaddr");

    private DebeziumTypes() {
    }

    /** Null when the engine carries the column exactly, else why not. */
    public static String refusal(TableId table, Column column) {
        String type = column.type();
        boolean enumType = !column.enumLabels().isEmpty() && !type.endsWith("[]");
        if (enumType || carries(type)) {
            return null;
        }
        return "capture.engine=debezium cannot carry column " + column.name() + " of " + table + ": type " + type
                + " is not among the types it maps exactly (docs/capture.md, Types); use capture.engine=pgoutput,"
                + " which carries every type, or leave the table out of capture.tables";
    }

    /** Whether a type ({@code format_type}'s name, not an enum) is carried exactly. */
    public static boolean carries(String type) {
        return !type.endsWith("[]") && SCALARS.contains(type.replaceAll("\\([^)]*\\)", "").trim());
    }
}
