package io.sluice.applier;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Column-level merge: where a remote update and the row here changed different columns, the row
 * takes both changes; a column both changed goes to the later commit. What the remote update
 * changed is known from its old row, so the source table needs REPLICA IDENTITY FULL; without an old
 * row, and for every conflict but an update meeting a row, last writer wins decides. Both leaders
 * compute the same row: each keeps its own changes to columns the other left alone.
 */
final class MergeColumns implements ConflictResolver {

    @Override
    public String name() {
        return "merge_columns";
    }

    @Override
    public Decision resolve(Conflict c) {
        boolean oldRowComplete = !c.remoteBefore().isEmpty() && c.remoteBefore().keySet().containsAll(c.remote().keySet());
        if (!c.kind().equals("update_origin_differs") || !c.rowHere() || !oldRowComplete) {
            return LAST_WRITER_WINS.resolve(c);
        }
        boolean remoteLater = c.remoteIsLater();
        Map<String, String> merged = new HashMap<>(c.local());
        c.remote().forEach((column, value) -> {
            String ancestor = c.remoteBefore().get(column);
            boolean remoteChanged = !Objects.equals(ancestor, value);
            boolean localChanged = !Objects.equals(ancestor, c.local().get(column));
            if (remoteChanged && (!localChanged || remoteLater)) {
                merged.put(column, value);
            }
        });
        return Decision.merge(merged);
    }
}
