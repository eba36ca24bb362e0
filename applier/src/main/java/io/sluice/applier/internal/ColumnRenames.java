package io.sluice.applier.internal;

import io.sluice.format.DdlMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The column renames a follower makes for a DDL message that says what the primary's renamed columns
 * were called: the same columns, values and all. Shared by the stores that take DDL messages. Stateless.
 */
final class ColumnRenames {

    /** One {@code ALTER TABLE … RENAME COLUMN from TO to}. */
    record Step(String from, String to) { }

    private ColumnRenames() {
    }

    /**
     * The renames to run, in order, on a follower table whose columns are {@code followerColumns}:
     * only of columns it has under their old names; several at once through names of their own
     * first, so that names that trade places never collide. Empty when there is nothing to rename.
     */
    static List<Step> steps(DdlMessage ddl, Set<String> followerColumns) {
        Map<String, String> renames = new LinkedHashMap<>(); // old name -> new
        ddl.columnRenames().forEach((to, from) -> {
            if (followerColumns.contains(from)) {
                renames.put(from, to);
            }
        });
        if (renames.size() <= 1) {
            return renames.entrySet().stream().map(r -> new Step(r.getKey(), r.getValue())).toList();
        }
        List<Step> first = new ArrayList<>();
        List<Step> then = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, String> r : renames.entrySet()) {
            String aside = "sluice_renaming_" + i++;
            first.add(new Step(r.getKey(), aside));
            then.add(new Step(aside, r.getValue()));
        }
        first.addAll(then);
        return first;
    }

    /** What the message says of the old names of renamed columns the follower lacks, for an error. */
    static String oldNames(DdlMessage ddl, List<String> missing) {
        Map<String, String> known = ddl.columnRenames();
        List<String> were = missing.stream().filter(known::containsKey).map(n -> n + " was " + known.get(n)).toList();
        return were.isEmpty() ? "the stream does not say their old names"
                : "the follower has no column of their old names (" + String.join(", ", were) + ")";
    }
}
