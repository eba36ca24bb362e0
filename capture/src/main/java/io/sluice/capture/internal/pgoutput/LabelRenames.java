package io.sluice.capture.internal.pgoutput;

import io.sluice.format.Column;
import io.sluice.format.Value;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Enum labels the primary renamed, and the names they have now. pgoutput prints a value with the catalog of the moment
 * the row was written, so a row written before a rename that another transaction committed first comes after the
 * rename on the stream under the label's old name — which no follower that took the rename has. Such a value is given
 * the name its label has where the row's transaction commits: the value the primary holds. Learned from consecutive
 * lists of an enum's labels, each as of its place on the stream (the triggers' messages): PostgreSQL keeps a renamed
 * label's place, and one command renames one label or adds one. A label later given a name another label had is taken
 * as that name's (docs/capture.md, "Types"). Not thread-safe: the engine's thread.
 */
final class LabelRenames {

    /** By enum {@code [schema, name]}: each old name and the name its label has now. */
    private final Map<List<String>, Map<String, String>> renamed = new HashMap<>();

    /** An enum's labels said as of a place on the stream ({@code after}), the list before it {@code before}. */
    void said(List<String> enumType, List<String> before, List<String> after) {
        if (after == null) {
            renamed.remove(enumType);
            return;
        }
        Map<String, String> names = renamed.get(enumType);
        if (before != null && before.size() == after.size()) {
            for (int i = 0; i < before.size(); i++) {
                String from = before.get(i);
                String to = after.get(i);
                if (!from.equals(to)) {
                    if (names == null) {
                        names = renamed.computeIfAbsent(enumType, k -> new HashMap<>());
                    }
                    names.replaceAll((old, now) -> now.equals(from) ? to : now);
                    names.put(from, to);
                }
            }
        }
        if (names != null) {
            after.forEach(names::remove); // a name a label has now is that label's
        }
    }

    /** Forgets what it learned (a message of everything replaces what is held). */
    void clear() {
        renamed.clear();
    }

    /** The enum's old label names and the names they have now, for the stream's definitions messages. */
    Map<String, String> of(List<String> enumType) {
        Map<String, String> names = renamed.get(enumType);
        return names == null ? Map.of() : Map.copyOf(names);
    }

    /** What a definitions message read back says of the enum's renamed labels (none said: what is held stays). */
    void restore(List<String> enumType, Map<String, String> names) {
        if (!names.isEmpty()) {
            renamed.put(enumType, new HashMap<>(names));
        }
    }

    /**
     * The row with each enum value (or array of enum values) its shape's labels lack named as its label is named now,
     * where a rename says so; the row itself when nothing was renamed.
     */
    Map<String, Value> named(TableShape shape, Map<String, Value> row) {
        if (renamed.isEmpty() || shape.enumTypes().isEmpty()) {
            return row;
        }
        Map<String, Value> out = null;
        for (Column c : shape.columns()) {
            Map<String, String> names = renamed.get(shape.enumTypes().get(c.name()));
            if (names == null || !(row.get(c.name()) instanceof Value.Text t)) {
                continue;
            }
            String now = c.type().endsWith("]") ? EnumArrayText.renamed(t.value(), names)
                    : c.enumLabels().contains(t.value()) ? t.value() : names.getOrDefault(t.value(), t.value());
            if (!now.equals(t.value())) {
                if (out == null) {
                    out = new LinkedHashMap<>(row);
                }
                out.put(c.name(), new Value.Text(now));
            }
        }
        return out == null ? row : out;
    }
}
