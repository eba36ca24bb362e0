package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
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

    /**
     * What the group did to one key. The image is the event's own (immutable) row until a second
     * change has to be merged into it; a key changed once is written from its own event, so the
     * common case copies nothing.
     */
    private static final class KeyState {
        final boolean existedBefore;
        /** The first event's row that carries the key values (identity for updates, before for deletes). */
        final Map<String, Value> keySource;
        Map<String, Value> image;
        boolean imageOwned;
        ChangeEvent last;
        int changes;

        KeyState(boolean existedBefore, Map<String, Value> keySource) {
            this.existedBefore = existedBefore;
            this.keySource = keySource;
        }

        Map<String, Value> mutableImage() {
            if (!imageOwned) {
                image = new LinkedHashMap<>(image);
                imageOwned = true;
            }
            return image;
        }
    }

    /** Per table: key (the value itself for a one-column key, else the list of values) to state. */
    private final Map<TableId, Map<Object, KeyState>> tables = new LinkedHashMap<>();
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
            Map<Object, KeyState> rows = table(i.table(), i.key());
            Object k = keyOf(i.key(), i.after());
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(false, i.after());
                rows.put(k, s);
                size++;
            } else if (s.image != null) {
                throw diverged(e, "inserts a key the same group already holds");
            }
            s.image = i.after();
            s.imageOwned = false;
            s.last = e;
            s.changes++;
        } else if (e instanceof ChangeEvent.Update u) {
            Map<Object, KeyState> rows = table(u.table(), u.key());
            Object k = keyOf(u.key(), u.identity());
            if (!k.equals(keyOf(u.key(), u.after()))) {
                throw new IllegalStateException("key change in an update must not be collapsed");
            }
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(true, u.identity());
                s.image = u.after();
                rows.put(k, s);
                size++;
            } else if (s.image == null) {
                throw diverged(e, "updates a key the same group deleted");
            } else {
                Map<String, Value> merged = s.mutableImage();
                u.after().forEach((col, v) -> {
                    if (!(v instanceof Value.Unchanged) || !merged.containsKey(col)) {
                        merged.put(col, v);
                    }
                });
            }
            s.last = e;
            s.changes++;
        } else if (e instanceof ChangeEvent.Delete d) {
            Map<Object, KeyState> rows = table(d.table(), d.key());
            Object k = keyOf(d.key(), d.before());
            KeyState s = rows.get(k);
            if (s == null) {
                s = new KeyState(true, d.before());
                rows.put(k, s);
                size++;
            } else if (!s.existedBefore) {
                rows.remove(k);
                size--;
                return;
            }
            s.image = null;
            s.last = e;
            s.changes++;
        } else {
            throw new IllegalArgumentException("not a collapsible row change: " + e.kind());
        }
    }

    /** Writes every key's final state through {@code writer}: deletes, updates, then inserts, per table. */
    public void flushTo(RowSink writer) {
        for (Map.Entry<TableId, Map<Object, KeyState>> t : tables.entrySet()) {
            statements(t.getKey(), keys.get(t.getKey()), t.getValue().values()).writeTo(writer);
        }
        clear();
    }

    /**
     * One table's final states as the statements that write them. Built and written by methods of
     * their own: each is compiled on its own rather than inlined into one very large compilation.
     */
    private static final class TableStatements {
        final TableId table;
        final List<String> key;
        final List<ChangeEvent.Delete> deletes = new ArrayList<>();
        /** Updates that set the same columns share one multi-row statement. */
        final Map<List<String>, List<ChangeEvent.Update>> updates = new LinkedHashMap<>();
        /** Inserts with the same columns share one COPY. */
        final Map<List<String>, List<ChangeEvent.Insert>> inserts = new LinkedHashMap<>();

        TableStatements(TableId table, List<String> key) {
            this.table = table;
            this.key = key;
        }

        void writeTo(RowSink writer) {
            if (!deletes.isEmpty()) {
                writer.deleteMany(table, key, KeyOrder.sorted(key, deletes, ChangeEvent.Delete::before));
            }
            for (Map.Entry<List<String>, List<ChangeEvent.Update>> u : updates.entrySet()) {
                writer.updateMany(table, key, u.getKey(), KeyOrder.sorted(key, u.getValue(), ChangeEvent.Update::identity));
            }
            for (Map.Entry<List<String>, List<ChangeEvent.Insert>> i : inserts.entrySet()) {
                writer.insertMany(table, i.getKey(), KeyOrder.sorted(key, i.getValue(), ChangeEvent.Insert::after));
            }
        }
    }

    private static TableStatements statements(TableId table, List<String> key, Iterable<KeyState> states) {
        TableStatements out = new TableStatements(table, key);
        for (KeyState s : states) {
            boolean once = s.changes == 1;
            if (s.image == null) {
                if (s.existedBefore) {
                    out.deletes.add(once ? (ChangeEvent.Delete) s.last
                            : new ChangeEvent.Delete(s.last.header(), table, key, keyOnly(key, s.keySource)));
                }
            } else if (s.existedBefore) {
                ChangeEvent.Update u = once && s.last instanceof ChangeEvent.Update only ? only
                        : new ChangeEvent.Update(s.last.header(), table, key, keyOnly(key, s.keySource), s.image);
                out.updates.computeIfAbsent(setColumns(u.after()), k -> new ArrayList<>()).add(u);
            } else {
                ChangeEvent.Insert i = once && s.last instanceof ChangeEvent.Insert only ? only
                        : new ChangeEvent.Insert(s.last.header(), table, key, s.image);
                out.inserts.computeIfAbsent(List.copyOf(i.after().keySet()), k -> new ArrayList<>()).add(i);
            }
        }
        return out;
    }

    private static List<String> setColumns(Map<String, Value> image) {
        List<String> set = new ArrayList<>(image.size());
        image.forEach((c, v) -> {
            if (!(v instanceof Value.Unchanged)) {
                set.add(c);
            }
        });
        return set;
    }

    public void clear() {
        tables.clear();
        keys.clear();
        size = 0;
    }

    private Map<Object, KeyState> table(TableId table, List<String> key) {
        List<String> known = keys.putIfAbsent(table, key);
        if (known != null && !known.equals(key)) {
            throw new IllegalStateException("the key of " + table + " changed within a group");
        }
        return tables.computeIfAbsent(table, t -> new LinkedHashMap<>());
    }

    /** The key's value for a one-column key (no list to allocate), else the list of values. */
    private static Object keyOf(List<String> key, Map<String, Value> row) {
        if (key.size() == 1) {
            return row.get(key.get(0));
        }
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
