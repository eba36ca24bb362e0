package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.FollowerPipeline.Segment;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.FormatException;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import java.util.ArrayList;
import java.util.List;

/**
 * The open group's changes on their way to the follower thread. Row changes that can be are
 * collapsed to each key's final state ({@link GroupCollapser}), where the store allows it; anything else — a change of key,
 * TRUNCATE, snapshot rows, a schema change or DDL message — first turns what was collapsed so far
 * into work, so the order of effects is kept. What is gathered leaves as a {@link Segment}: with
 * the group's commit at its end, or earlier, without one, when a huge transaction has gathered
 * enough ({@link #full()}).
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class GroupWork {

    /** Most work items, and most COPY text of copy events, held before a part of a huge group is handed over. */
    private static final int MAX_WORK = 10_000;
    private static final int MAX_COPY_BYTES = 8 * 1024 * 1024;

    private final FollowerStore store;
    private final String stream;
    private final int maxCollapsed;
    private final GroupCollapser collapser = new GroupCollapser();
    private final RowSink prepare;
    private List<Work> work = new ArrayList<>();
    private boolean collapsed;
    private long copyBytes;
    /**
     * Events up to this stream offset are applied in source order, not collapsed: a collapsed group
     * that broke a unique or exclusion constraint is applied again this way (collapsing reorders
     * rows within a group, which a constraint between rows can refuse).
     */
    private long orderedThrough = -1;

    /**
     * @param stream       the stream's topic-partition, naming where a schema change or DDL message was read
     * @param maxCollapsed most collapsed keys held before they are handed over as part of the group
     */
    public GroupWork(FollowerStore store, String stream, int maxCollapsed) {
        this.store = store;
        this.stream = stream;
        this.maxCollapsed = maxCollapsed;
        this.prepare = new RowSink() {
            @Override
            public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) {
                work.add(store.deleteMany(table, key, rows));
            }

            @Override
            public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
                work.add(store.updateMany(table, key, set, rows));
            }

            @Override
            public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows) {
                work.add(store.insertMany(table, cols, rows));
            }
        };
    }

    /** A change of an applied frame, read at {@code offset}. */
    public void add(ChangeEvent e, long offset) {
        if (store.collapsesRows() && GroupCollapser.accepts(e) && !changesKey(e) && offset > orderedThrough) {
            collapser.add(e);
            return;
        }
        prepareCollapsed(); // keep order with what cannot be collapsed
        if (e instanceof ChangeEvent.Insert i) {
            work.add(store.insert(i));
        } else if (e instanceof ChangeEvent.Update u) {
            work.add(store.update(u));
        } else if (e instanceof ChangeEvent.Delete d) {
            work.add(store.delete(d));
        } else if (e instanceof ChangeEvent.Truncate t) {
            work.add(store.truncate(t));
        } else if (e instanceof CopyEvent c) {
            work.add(store.copy(c));
            copyBytes += c.text().remaining();
        } else if (e instanceof ChangeEvent.SchemaChange s) {
            work.add(store.schema(s, stream + "@" + offset));
        } else if (e instanceof ChangeEvent.Message m && m.transactional() && m.prefix().equals(DdlMessage.PREFIX)) {
            String at = stream + "@" + offset;
            DdlMessage ddl;
            try {
                ddl = DdlMessage.parse(m.content());
            } catch (FormatException ex) {
                throw new ApplierException("bad DDL message at " + at + ": " + ex.getMessage()
                        + "; the follower stays at its last good watermark", false, ex);
            }
            work.add(store.ddl(ddl, m.header(), at));
        } else if (e instanceof ChangeEvent.Message m && TableDrop.is(m)) {
            String at = stream + "@" + offset;
            try {
                work.add(store.drop(TableDrop.parse(m.content()), m.header(), at));
            } catch (FormatException ex) {
                throw new ApplierException("bad dropped-table message at " + at + ": " + ex.getMessage()
                        + "; the follower stays at its last good watermark", false, ex);
            }
        }
        // Other transactional messages carry no rows; they pass with their frame.
    }

    /** Adds work of the group's own (an operator's skip record). */
    public void add(Work w) {
        work.add(w);
    }

    /** Whether enough is gathered to hand a part of a huge group over before it commits. */
    public boolean full() {
        return collapser.size() >= maxCollapsed || work.size() >= MAX_WORK || copyBytes >= MAX_COPY_BYTES;
    }

    /** Whether nothing is gathered. */
    public boolean isEmpty() {
        return collapser.size() == 0 && work.isEmpty();
    }

    /**
     * What was gathered, as a segment for the follower thread — with {@code commit} when it ends
     * the group — and nothing held afterwards.
     */
    public Segment take(GroupCommit commit, String where, long endOffset) {
        prepareCollapsed();
        Segment s = new Segment(work, commit, where, collapsed, endOffset);
        work = new ArrayList<>();
        collapsed = false;
        copyBytes = 0;
        return s;
    }

    /** Up to this stream offset, changes are applied in source order. */
    public void orderedThrough(long offset) {
        orderedThrough = Math.max(orderedThrough, offset);
    }

    /** Drops everything gathered (the store transaction is rolled back). */
    public void clear() {
        collapser.clear();
        work.clear();
        collapsed = false;
        copyBytes = 0;
    }

    private void prepareCollapsed() {
        if (collapser.size() > 0) {
            collapser.flushTo(prepare);
            collapsed = true;
        }
    }

    private static boolean changesKey(ChangeEvent e) {
        if (e instanceof ChangeEvent.Update u && !u.before().isEmpty()) {
            for (String k : u.key()) {
                if (!u.before().get(k).equals(u.after().get(k))) {
                    return true;
                }
            }
        }
        return false;
    }
}
