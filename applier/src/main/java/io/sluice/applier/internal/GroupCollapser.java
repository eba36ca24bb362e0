package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collapses the row changes of one follower transaction to each key's final state. The group
 * commits atomically, so only the final image of every key is visible: insert + updates become
 * one insert of the final image, insert + delete nothing, updates one update (unchanged TOAST
 * columns stay unchanged unless a later change in the group set them), anything + delete one
 * delete. Then the writes go out per table and shape — deletes, updates, inserts — in a few
 * multi-row statements ({@link RowWriter#deleteMany}, {@link RowWriter#updateMany}, COPY for
 * {@link RowWriter#insertMany}), which turns a stream of interleaved one-row statements into a
 * handful of statements per group.
 *
 * <p>Only rows of tables with a key are collapsed; the applier flushes this collapser before any
 * change it does not take (truncate, schema change, a keyless table), so order between them is
 * kept. Not thread-safe.
 */
public final class GroupCollapser {

    private static final class KeyState {
        final boolean existedBefore;
        final Map<String, Value> identity;
        Map<String, Value> image;
        ChangeEvent last;

        KeyState(boolean existedBefore, Map<String, Value> identity) {
            this.existedBefore = existedBefore;
            this.identity = identity;
        }
    }

    private final Map<TableId, Map<List<Value>, KeyState>> tables = new LinkedHashMap<>();
    private final Map<TableId, List<String>> keys = new LinkedHashMap<>();
    private int size;

    /** Whether the event is a row change this collapser can take. */
    public static boolean accepts(ChangeEvent e) {
        return e instanceof ChangeEvent.Insert i && !i.key().isEmpty()
                || e instanceof ChangeEvent.Update u && !u.key().isEmpty()
                || e instanceof ChangeEvent.Delete d && !d.key().isEmpty();
    }

    public int size() {
        return size;
    }

    public void add(ChangeEvent e) {
        if (e instanceof ChangeEvent.Insert i) {
            Map<List<Value>, KeyState> rows = table(i.table(), i.key());
            List<Value> k = keyOf(i.key(), i.after());
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(false, keyOnly(i.key(), i.after()));
                rows.put(k, s);
                size++;
            } else if (s.image != null) {
                throw diverged(e, "inserts a key the same group already holds");
            }
            s.image = new LinkedHashMap<>(i.after());
            s.last = e;
        } else if (e instanceof ChangeEvent.Update u) {
            Map<List<Value>, KeyState> rows = table(u.table(), u.key());
            List<Value> k = keyOf(u.key(), u.identity());
            List<Value> newKey = keyOf(u.key(), u.after());
            if (!k.equals(newKey)) {
                throw new IllegalStateException("key change in an update must not be collapsed");
            }
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(true, keyOnly(u.key(), u.identity()));
                s.image = new LinkedHashMap<>(u.after());
                rows.put(k, s);
                size++;
            } else if (s.image == null) {
                throw diverged(e, "updates a key the same group deleted");
            } else {
                Map<String, Value> merged = s.image;
                u.after().forEach((col, v) -> {
                    if (!(v instanceof Value.Unchanged) || !merged.containsKey(col)) {
                        merged.put(col, v);
                    }
                });
            }
            s.last = e;
        } else if (e instanceof ChangeEvent.Delete d) {
            Map<List<Value>, KeyState> rows = table(d.table(), d.key());
            List<Value> k = keyOf(d.key(), d.before());
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(true, keyOnly(d.key(), d.before()));
                rows.put(k, s);
                size++;
            } else if (!s.existedBefore) {
                rows.remove(k);
                size--;
                return;
            }
            s.image = null;
            s.last = e;
        } else {
            throw new IllegalArgumentException("not a collapsible row change: " + e.kind());
        }
    }

    /** Writes every key's final state through {@code writer}: deletes, updates, then inserts, per table. */
    public void flushTo(RowWriter writer) throws SQLException {
        for (Map.Entry<TableId, Map<List<Value>, KeyState>> t : tables.entrySet()) {
            List<String> key = keys.get(t.getKey());
            Map<List<String>, List<ChangeEvent.Update>> updates = new LinkedHashMap<>();
            List<ChangeEvent.Delete> deletes = new ArrayList<>();
            Map<List<String>, List<ChangeEvent.Insert>> inserts = new LinkedHashMap<>();
            for (KeyState s : t.getValue().values()) {
                if (s.image == null) {
                    if (s.existedBefore) {
                        deletes.add(new ChangeEvent.Delete(s.last.header(), t.getKey(), key, s.identity));
                    }
                } else if (s.existedBefore) {
                    // Updates that set the same columns share one multi-row statement.
                    List<String> set = s.image.entrySet().stream().filter(en -> !(en.getValue() instanceof Value.Unchanged))
                            .map(Map.Entry::getKey).toList();
                    updates.computeIfAbsent(set, k -> new ArrayList<>())
                            .add(new ChangeEvent.Update(s.last.header(), t.getKey(), key, s.identity, s.image));
                } else {
                    // Inserts with the same columns share one COPY.
                    inserts.computeIfAbsent(List.copyOf(s.image.keySet()), k -> new ArrayList<>())
                            .add(new ChangeEvent.Insert(s.last.header(), t.getKey(), key, s.image));
                }
            }
            if (!deletes.isEmpty()) {
                writer.deleteMany(t.getKey(), key, deletes);
            }
            for (Map.Entry<List<String>, List<ChangeEvent.Update>> u : updates.entrySet()) {
                writer.updateMany(t.getKey(), key, u.getKey(), u.getValue());
            }
            for (Map.Entry<List<String>, List<ChangeEvent.Insert>> i : inserts.entrySet()) {
                writer.insertMany(t.getKey(), i.getKey(), i.getValue());
            }
        }
        clear();
    }

    public void clear() {
        tables.clear();
        keys.clear();
        size = 0;
    }

    private Map<List<Value>, KeyState> table(TableId table, List<String> key) {
        List<String> known = keys.putIfAbsent(table, key);
        if (known != null && !known.equals(key)) {
            throw new IllegalStateException("the key of " + table + " changed within a group");
        }
        return tables.computeIfAbsent(table, t -> new LinkedHashMap<>());
    }

    private static List<Value> keyOf(List<String> key, Map<String, Value> row) {
        List<Value> values = new ArrayList<>(key.size());
        for (String k : key) {
            values.add(row.get(k));
        }
        return values;
    }

    private static Map<String, Value> keyOnly(List<String> key, Map<String, Value> row) {
        Map<String, Value> m = new LinkedHashMap<>();
        key.forEach(k -> m.put(k, row.get(k)));
        return m;
    }

    private static ApplierException diverged(ChangeEvent e, String what) {
        return new ApplierException("the stream " + what + ": " + e.kind() + " at source LSN " + e.header().commitLsn()
                + " xid " + e.header().xid(), false, null);
    }
}
