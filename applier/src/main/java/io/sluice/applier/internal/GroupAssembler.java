package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.follower.Watermark;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.ChangeEvent;
import io.sluice.format.DirectSnapshotMessage;
import io.sluice.format.EpochMarker;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.SequenceState;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream thread's part of applying: each event read goes through the {@link FrameReader}
 * into the {@link OpenGroup}, its change into {@link GroupWork}, and a group, once
 * {@link GroupSizing} says it is full or the stream has no more waiting, to the
 * {@link FollowerPipeline} with its commit. Also where a promotion marker enters its epoch and
 * where a frame cut short undoes the open group.
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class GroupAssembler {

    private static final Logger log = LoggerFactory.getLogger(GroupAssembler.class);

    /** What the stream thread does after an event. */
    public enum Outcome {
        /** Read on. */
        NEXT,
        /** The open group was undone: read again from {@link #rewindOffset()}. */
        REWIND,
        /** This follower was promoted at the marker just read: everything before it is committed; stop. */
        PROMOTED
    }

    /** A poll of this many records found a backlog (at a steady rate a poll holds one or two). */
    private static final int BACKLOG_POLL_RECORDS = 32;
    /**
     * A caught-up group of at most this many source transactions is written by the stream thread
     * itself while the follower thread is idle: about one round trip to the follower. A larger one
     * (a catch-up that met the stream's end for a moment) is handed over, so the stream thread reads
     * on while it is written.
     */
    private static final int WRITTEN_HERE_FRAMES = 16;

    private final ApplierConfig config;
    private final String stream;
    private final FollowerStore store;
    private final FollowerPipeline pipeline;
    private final EpochGate gate;
    private final FrameReader reader;
    private final OpenGroup group = new OpenGroup();
    private final GroupSizing sizing;
    private final GroupWork work;
    /** The latest sequence state read and not yet kept on the follower, and its offset. */
    private byte[] pendingSequences;
    private long pendingSequencesOffset;
    /** The last source transaction handed to the follower thread, committed or not. */
    private Lsn queuedThrough;
    private long rewindOffset;

    /** {@code stream}: the stream's topic-partition, for messages. */
    public GroupAssembler(ApplierConfig config, String stream, FollowerStore store, FollowerPipeline pipeline, EpochGate gate) {
        this.config = config;
        this.stream = stream;
        this.store = store;
        this.pipeline = pipeline;
        this.gate = gate;
        this.reader = new FrameReader(stream, config.skipCommitLsn());
        this.sizing = new GroupSizing(config.maxGroupTransactions(), config.maxGroupEvents());
        this.work = new GroupWork(store, stream, config.maxGroupEvents());
    }

    /** Reading starts again after the store's watermark ({@code through}; null: none), nothing open. */
    public void restart(Lsn through) {
        queuedThrough = through;
        clear();
        sizing.caughtUp();
        reader.restart(through);
    }

    /** Drops the open group (the store transaction was, or is about to be, rolled back). */
    public void clear() {
        work.clear();
        group.clear();
    }

    public Outcome handle(ChangeEvent e, long offset) throws SQLException {
        if (e.header().epoch() != gate.epoch()) {
            Optional<EpochMarker> marker = gate.marker(e, offset);
            if (marker.isPresent()) {
                return enterEpoch(marker.get(), offset);
            }
        }
        switch (reader.read(e, offset)) {
            case BEGAN -> {
                group.began(offset);
                if (reader.operatorSkipping()) {
                    log.warn("SKIPPING source transaction xid {} at {} on operator request (recorded in sluice.skipped_transaction)",
                            e.header().xid(), e.header().commitLsn());
                    work.add(store.recordSkip(e.header().commitLsn(), e.header().xid(), "operator request"));
                }
            }
            case APPLY -> {
                group.event();
                apply(e, offset);
            }
            case ENDED -> {
                group.ended(reader.ended());
                if (group.hasFrames() && sizing.full(group.frames(), group.events(), offset)) {
                    commitGroup();
                    sizing.filled();
                }
            }
            case BETWEEN -> {
                if (e instanceof ChangeEvent.Message m && SequenceState.is(m)) {
                    pendingSequences = m.content(); // kept with the next group the follower commits
                    pendingSequencesOffset = offset;
                }
            }
            case CUT_SHORT -> {
                return rewind();
            }
            case SKIP -> { }
        }
        return Outcome.NEXT;
    }

    /**
     * After a poll: unless more waits on the stream, or the poll found a backlog while the follower
     * thread is still busy with the group before (this one would only wait behind it), the open
     * group commits now — latency comes first: a small one on this thread itself while the follower
     * thread is idle ({@link FollowerPipeline#runOrSubmit}) — and the next starts small. Otherwise it
     * stays open to grow, bounded by the group limits. Returns whether nothing is left open.
     */
    public boolean polled(int records, boolean moreWaiting) throws SQLException {
        if (reader.inFrame() || moreWaiting || records >= BACKLOG_POLL_RECORDS && group.hasFrames() && pipeline.busy()) {
            return false;
        }
        commitGroup(group.frames() <= WRITTEN_HERE_FRAMES);
        sizing.caughtUp();
        return !group.started();
    }

    private void apply(ChangeEvent e, long offset) throws SQLException {
        if (e instanceof ChangeEvent.Message m && DirectSnapshotMessage.is(m)) {
            throw withoutDirectSnapshot(m, stream + "@" + offset);
        }
        work.add(e, offset);
        if (work.full()) {
            // a huge transaction: write out and keep going in the same follower transaction
            pipeline.submit(work.take(null, reader.where(), offset));
        }
    }

    /**
     * A direct snapshot's frame reached while applying: its rows are only on the followers it names.
     * If this follower was seeded meanwhile (its watermark is now at the frame), the applier restarts
     * from that watermark and skips the frame; otherwise it stops.
     */
    private ApplierException withoutDirectSnapshot(ChangeEvent.Message m, String at) throws SQLException {
        List<String> holders;
        try {
            holders = DirectSnapshotMessage.parse(m.content()).followers();
        } catch (FormatException ex) {
            return new ApplierException("bad direct-snapshot marker at " + at + ": " + ex.getMessage(), false, ex);
        }
        Lsn lsn = m.header().commitLsn();
        Optional<Watermark> now = store.watermarkNow();
        if (now.isPresent() && lsn.isAtOrBefore(now.get().commitLsn())) {
            return new ApplierException("follower " + config.followerName() + " was seeded by the direct snapshot at "
                    + lsn + " while this applier read it; restarting from the watermark", true, null);
        }
        return new ApplierException("the snapshot frame at " + at + " (commit LSN " + lsn + ") was taken by the direct path:"
                + " its rows were copied straight into followers " + holders + " and are not on the stream, and follower "
                + config.followerName() + " has no watermark at or past it. Seed it the same way (capture.snapshot.direct,"
                + " docs/capture.md) or snapshot the source into a new stream; the follower is left as it was", false, null);
    }

    /** A frame ended without COMMIT: undo the open group, to be read again from its start; the frame is void. */
    private Outcome rewind() throws SQLException {
        log.warn("{}; it is void and skipped", reader.cutWhy());
        pipeline.awaitIdle();
        pipeline.rethrowFailure();
        store.rollback();
        rewindOffset = group.started() ? group.startOffset() : reader.cutOffset();
        clear();
        reader.restart(queuedThrough);
        return Outcome.REWIND;
    }

    /** Where to read again from after {@link Outcome#REWIND}. */
    public long rewindOffset() {
        return rewindOffset;
    }

    /**
     * A promotion marker: what came before it is committed, then the marker moves the watermark into
     * the new epoch (its commit LSNs start again), in a follower transaction of its own. On the
     * follower that was promoted, the stream after the marker is its own.
     */
    private Outcome enterEpoch(EpochMarker marker, long offset) throws SQLException {
        if (reader.interrupt("an epoch marker at offset " + offset)) {
            return rewind();
        }
        commitGroup();
        group.enter(marker, queuedThrough, new FrameEnd(Lsn.ZERO, 0, marker.promotedAt(), offset, true));
        commitGroup();
        reader.restart(queuedThrough);
        gate.enter(marker, offset);
        if (!marker.follower().equals(config.followerName())) {
            return Outcome.NEXT;
        }
        pipeline.awaitIdle();
        pipeline.rethrowFailure();
        return Outcome.PROMOTED;
    }

    /** Hands the open group to the follower thread to be written and committed with its watermark. */
    private void commitGroup() throws SQLException {
        commitGroup(false);
    }

    /** {@code writeHere}: a small group with nothing more waiting on the stream, which the stream thread may write itself. */
    private void commitGroup(boolean writeHere) throws SQLException {
        if (!group.hasFrames()) {
            if (group.started() && !reader.inFrame()) {
                clear(); // only skipped duplicates: nothing to write
            }
            return;
        }
        GroupCommit commit = group.commit(pendingSequences, pendingSequencesOffset);
        pendingSequences = null;
        FollowerPipeline.Segment segment = work.take(commit, group.describe(), group.last().offset());
        if (writeHere) {
            pipeline.runOrSubmit(segment);
        } else {
            pipeline.submit(segment);
        }
        queuedThrough = group.last().commitLsn();
        clear();
    }

    /** The source transaction being read, for error messages; null between frames. */
    public String where() {
        return reader.where();
    }

    /** Up to this stream offset, changes are applied in source order (a collapsed group broke a constraint). */
    public void orderedThrough(long offset) {
        work.orderedThrough(offset);
    }

    /** Up to this stream offset, every source transaction is a follower transaction of its own (55P04). */
    public void onePerGroupThrough(long offset) {
        sizing.onePerGroupThrough(offset);
    }

    /** Whether the source transaction ending at {@code offset} is applied as a follower transaction of its own. */
    public boolean onePerGroupAt(long offset) {
        return sizing.onePerGroupAt(offset);
    }
}
