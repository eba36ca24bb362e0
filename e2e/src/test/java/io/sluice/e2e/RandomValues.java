package io.sluice.e2e;

import java.util.Random;
import java.util.function.Supplier;

/** Literals for {@link RandomWorkload}'s columns, by type, from its seeded {@link Random}. */
final class RandomValues {

    private final Random random;

    RandomValues(Random random) {
        this.random = random;
    }

    /**
     * A literal of {@code type} (as format_type prints it), now and then NULL; DEFAULT for a type it does not know.
     * {@code noComposite}: NULL for the composite — the second session writes none, since an ALTER TYPE of it committed
     * while the row's transaction is open leaves the row on the stream in the type's old shape (docs/capture.md, a gap
     * still open).
     */
    String literal(String type, boolean noComposite) {
        if (random.nextInt(8) == 0) {
            return "NULL";
        }
        int n = random.nextInt(2000) - 500;
        String mood = "(enum_range(NULL::rnd.mood))[1 + " + random.nextInt(50) + " % cardinality(enum_range(NULL::rnd.mood))]";
        // Now and then 3,200 characters no compression shrinks: stored out of line (TOAST), so an update of another column
        // sends the row without it (pgoutput's unchanged TOAST value).
        Supplier<String> text = () -> random.nextInt(7) == 0
                ? "(SELECT string_agg(md5((g + " + n + ")::text), '') FROM generate_series(1, 100) g)"
                : "'" + oneOf("plain", "it''s", "ü\\n\\t", "", " spaced ", "x".repeat(random.nextInt(3000))) + n + "'";
        return switch (type.replace("rnd.", "")) {
            case "integer", "dm", "bigint", "real" -> Integer.toString(n);
            case "numeric(12,2)", "numeric" -> n + "." + random.nextInt(100);
            case "text", "character varying(20)", "character varying(40)" -> type.contains("20") ? "'v" + n + "'" : text.get();
            case "jsonb", "json" -> "'{\"k\": " + n + ", \"s\": [1, \"two\", null]}'";
            case "timestamp with time zone" -> "'2024-03-01 12:00:00+00'::timestamptz + interval '" + n + " minutes'";
            case "date" -> "date '2024-01-01' + " + n;
            case "bytea" -> String.format("'\\x%02x00ff'", n & 0xff);
            case "boolean" -> n % 2 == 0 ? "true" : "false";
            case "mood" -> mood;
            case "mood[]" -> "ARRAY[" + mood + ", " + mood + "]";
            case "pair" -> noComposite ? "NULL" : "jsonb_populate_record(NULL::rnd.pair, jsonb_build_object('n', " + n + ", 'w', 'w" + n + "'))";
            case "point" -> "point(" + n + ", " + (n / 3.0) + ")";
            case "integer[]" -> "ARRAY[" + n + ", " + (n + 1) + "]";
            case "interval" -> "interval '" + n + " hours 3 seconds'";
            default -> "DEFAULT";
        };
    }

    private String oneOf(String... options) {
        return options[random.nextInt(options.length)];
    }
}
