package io.sluice.applier;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The column type a DuckDB follower gives a PostgreSQL column (docs/applier.md, "DuckDB
 * followers"): a DuckDB type that holds every value of the PostgreSQL type exactly where there is
 * one, else {@code VARCHAR} holding the value's PostgreSQL text. The one table of the mapping,
 * read by the applier that writes a DuckDB follower and by the verifier that compares one.
 *
 * @param kind      the DuckDB type
 * @param precision a {@code DECIMAL}'s precision, else 0
 * @param scale     a {@code DECIMAL}'s scale, else 0
 */
public record DuckDbType(Kind kind, int precision, int scale) {

    /** The DuckDB types a follower column can have. */
    public enum Kind {
        BOOLEAN("BOOLEAN"), SMALLINT("SMALLINT"), INTEGER("INTEGER"), BIGINT("BIGINT"), REAL("FLOAT"), DOUBLE("DOUBLE"),
        DECIMAL("DECIMAL"), VARCHAR("VARCHAR"), BLOB("BLOB"), UUID("UUID"), DATE("DATE"), TIME("TIME"),
        TIMETZ("TIME WITH TIME ZONE"), TIMESTAMP("TIMESTAMP"), TIMESTAMPTZ("TIMESTAMP WITH TIME ZONE"), INTERVAL("INTERVAL");

        /** As DuckDB's catalog ({@code information_schema.columns.data_type}) names it. */
        public final String duckDbName;

        Kind(String duckDbName) {
            this.duckDbName = duckDbName;
        }
    }

    /** DuckDB's widest DECIMAL. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+),(-?\\d+)\\)");
    private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),(\\d+)\\)");

    /**
     * The DuckDB column type for a PostgreSQL column type as {@code format_type} prints it. Arrays,
     * {@code numeric} without a precision or wider than DuckDB's widest DECIMAL, and every type
     * without a DuckDB counterpart (text types, json, enums, domains, network, geometric, range
     * types …) are VARCHAR holding PostgreSQL text.
     */
    public static DuckDbType of(String pgType) {
        if (pgType.endsWith("]")) {
            return plain(Kind.VARCHAR);
        }
        Matcher m = NUMERIC.matcher(pgType);
        if (m.matches()) {
            int p = Integer.parseInt(m.group(1));
            int s = Integer.parseInt(m.group(2));
            // A negative scale or one above the precision (PostgreSQL 15) has no DECIMAL.
            return p <= MAX_DECIMAL_PRECISION && s >= 0 && s <= p ? new DuckDbType(Kind.DECIMAL, p, s) : plain(Kind.VARCHAR);
        }
        String base = pgType.replaceAll("\\(\\d+\\)", "");
        return plain(switch (base) {
            case "boolean" -> Kind.BOOLEAN;
            case "smallint" -> Kind.SMALLINT;
            case "integer" -> Kind.INTEGER;
            case "bigint" -> Kind.BIGINT;
            case "real" -> Kind.REAL;
            case "double precision" -> Kind.DOUBLE;
            case "bytea" -> Kind.BLOB;
            case "uuid" -> Kind.UUID;
            case "date" -> Kind.DATE;
            case "time without time zone" -> Kind.TIME;
            case "time with time zone" -> Kind.TIMETZ;
            case "timestamp without time zone" -> Kind.TIMESTAMP;
            case "timestamp with time zone" -> Kind.TIMESTAMPTZ;
            default -> base.startsWith("interval") ? Kind.INTERVAL : Kind.VARCHAR;
        });
    }

    /** The type of a DuckDB follower column as DuckDB's catalog names it; null for a type no follower column has. */
    public static DuckDbType ofDuckDb(String duckDbType) {
        Matcher m = DECIMAL.matcher(duckDbType);
        if (m.matches()) {
            return new DuckDbType(Kind.DECIMAL, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        for (Kind k : Kind.values()) {
            if (k != Kind.DECIMAL && k.duckDbName.equals(duckDbType.toUpperCase(Locale.ROOT))) {
                return plain(k);
            }
        }
        return null;
    }

    private static DuckDbType plain(Kind kind) {
        return new DuckDbType(kind, 0, 0);
    }

    /** The type as a column definition writes it. */
    public String sql() {
        return kind == Kind.DECIMAL ? "DECIMAL(" + precision + "," + scale + ")" : kind.duckDbName;
    }

    /**
     * Whether DuckDB's cast from this type to {@code to} keeps every value as PostgreSQL's cast
     * between the two PostgreSQL types does: the same type, a wider integer, real to double, a
     * DECIMAL that keeps every digit, an integer into such a DECIMAL.
     */
    public boolean castsExactlyTo(DuckDbType to) {
        if (equals(to)) {
            return true;
        }
        int from = integerWidth(kind);
        if (from > 0 && integerWidth(to.kind) >= from) {
            return true;
        }
        if (kind == Kind.REAL && to.kind == Kind.DOUBLE) {
            return true;
        }
        if (kind == Kind.DECIMAL && to.kind == Kind.DECIMAL) {
            return to.scale >= scale && to.precision - to.scale >= precision - scale;
        }
        return from > 0 && to.kind == Kind.DECIMAL && to.precision - to.scale >= new int[] {0, 5, 10, 19}[from];
    }

    private static int integerWidth(Kind k) {
        return k == Kind.SMALLINT ? 1 : k == Kind.INTEGER ? 2 : k == Kind.BIGINT ? 3 : 0;
    }

    @Override
    public String toString() {
        return sql();
    }
}
