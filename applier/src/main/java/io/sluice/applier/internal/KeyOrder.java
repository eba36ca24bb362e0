package io.sluice.applier.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Puts the rows of one multi-row statement in their key's order, so the follower walks the key's
 * index — and mostly the heap — in order instead of at random (docs/applier.md). A key's final
 * states are independent of each other, so any order writes the same rows; only keys whose every
 * value is an integer or a text are sorted, others keep arrival order. A text that is an integer's
 * canonical form — how pgoutput sends an integer column — sorts as that integer, which is the order
 * of the column's index; other texts follow the integers. Stateless.
 */
final class KeyOrder {

    /** Digits of the longest long. */
    private static final int MAX_DIGITS = 19;

    private KeyOrder() {
    }

    /** {@code rows}, sorted in place by the key values {@code image} gives, or as they are. */
    static <E extends ChangeEvent> List<E> sorted(List<String> key, List<E> rows, Function<E, Map<String, Value>> image) {
        if (key.isEmpty() || rows.size() < 2) {
            return rows;
        }
        // Each row's key values are looked up (and read as integers) once, not at every comparison.
        List<Keyed<E>> keyed = new ArrayList<>(rows.size());
        for (E row : rows) {
            Map<String, Value> img = image.apply(row);
            Value[] values = new Value[key.size()];
            for (int i = 0; i < values.length; i++) {
                Value v = img.get(key.get(i));
                if (v instanceof Value.Text t) {
                    v = asInteger(t);
                } else if (!(v instanceof Value.Int)) {
                    return rows;
                }
                values[i] = v;
            }
            keyed.add(new Keyed<>(values, row));
        }
        keyed.sort((a, b) -> {
            for (int i = 0; i < a.key().length; i++) {
                int order = compare(a.key()[i], b.key()[i]);
                if (order != 0) {
                    return order;
                }
            }
            return 0;
        });
        for (int i = 0; i < rows.size(); i++) {
            rows.set(i, keyed.get(i).row());
        }
        return rows;
    }

    private record Keyed<E>(Value[] key, E row) { }

    /**
     * The integer a text is the canonical form of ({@code 0}, or an optional {@code -} and digits
     * not starting with 0, within a long), else the text.
     */
    static Value asInteger(Value.Text t) {
        ByteBuffer b = t.utf8();
        int n = b.remaining();
        int at = b.position();
        boolean negative = n > 1 && b.get(at) == '-';
        int first = negative ? at + 1 : at;
        int digits = at + n - first;
        if (digits < 1 || digits > MAX_DIGITS || b.get(first) == '0' && (digits > 1 || negative)) {
            return t;
        }
        // Accumulated negatively, as Long.parseLong does, so that Long.MIN_VALUE reads too.
        long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
        long result = 0;
        for (int i = first; i < at + n; i++) {
            int d = b.get(i) - '0';
            if (d < 0 || d > 9 || result < limit / 10) {
                return t;
            }
            result *= 10;
            if (result < limit + d) {
                return t;
            }
            result -= d;
        }
        return new Value.Int(negative ? result : -result);
    }

    private static int compare(Value a, Value b) {
        if (a instanceof Value.Int x && b instanceof Value.Int y) {
            return Long.compare(x.value(), y.value());
        }
        if (a instanceof Value.Text x && b instanceof Value.Text y) {
            return x.value().compareTo(y.value());
        }
        return a instanceof Value.Int ? -1 : 1; // a column holding both kinds: integers first
    }
}
