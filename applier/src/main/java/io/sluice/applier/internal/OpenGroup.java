package io.sluice.applier.internal;

import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import java.util.Arrays;

/**
 * The source transactions read into the follower transaction being built: where the group starts
 * on the stream (a rewind reads again from there), how many transactions and row events it holds,
 * the xids it applied, its last commit, and a promotion marker it moves the watermark to. What
 * the follower commits with it is {@link #commit}.
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class OpenGroup {

    /**
     * What a group commits with: its last source transaction, the number of them, the first commit
     * LSN and the applied xids (the read-your-writes bookkeeping), a promotion marker it enters and
     * the previous epoch's last commit, and the latest sequence state read.
     */
    public record GroupCommit(FrameEnd last, int frames, Lsn firstLsn, long[] xids, EpochMarker entered, Lsn fork,
                              byte[] sequences, long sequencesOffset) { }

    private long startOffset = -1;
    private int frames;
    private int events;
    private FrameEnd last;
    private Lsn firstLsn;
    private EpochMarker entered;
    private Lsn fork;
    private long[] xids = new long[64];
    private int xidCount;

    /** A frame began at {@code offset}: the group starts there if it had not started. */
    public void began(long offset) {
        if (startOffset < 0) {
            startOffset = offset;
        }
    }

    /** A row event of the group was read. */
    public void event() {
        events++;
    }

    /** A frame of the group committed on the stream. */
    public void ended(FrameEnd end) {
        last = end;
        if (firstLsn == null) {
            firstLsn = end.commitLsn();
        }
        if (!end.skipped()) {
            if (xidCount == xids.length) {
                xids = Arrays.copyOf(xids, xids.length * 2);
            }
            xids[xidCount++] = end.xid();
        }
        frames++;
    }

    /**
     * A group of its own for a promotion marker at {@code end}'s offset: it moves the watermark into
     * the marker's epoch, whose commit LSNs start again at zero, after {@code fork}, the last commit
     * of the epoch before.
     */
    public void enter(EpochMarker marker, Lsn fork, FrameEnd end) {
        this.entered = marker;
        this.fork = fork;
        startOffset = end.offset();
        firstLsn = end.commitLsn();
        last = end;
    }

    /** Whether the group holds a committed transaction (or a marker) to write. */
    public boolean hasFrames() {
        return last != null;
    }

    /** Whether the group has started: it may hold only skipped duplicates. */
    public boolean started() {
        return startOffset >= 0;
    }

    public long startOffset() {
        return startOffset;
    }

    public int frames() {
        return frames;
    }

    public int events() {
        return events;
    }

    /** The group's last source transaction; null before its first COMMIT. */
    public FrameEnd last() {
        return last;
    }

    /** Where the group stands, for error messages. */
    public String describe() {
        return "in the group of source transactions " + firstLsn + " to " + last.commitLsn();
    }

    /** What the follower commits with this group, carrying the latest sequence state read (or null). */
    public GroupCommit commit(byte[] sequences, long sequencesOffset) {
        return new GroupCommit(last, frames, firstLsn, Arrays.copyOf(xids, xidCount), entered, fork, sequences,
                sequencesOffset);
    }

    public void clear() {
        startOffset = -1;
        frames = 0;
        events = 0;
        last = null;
        firstLsn = null;
        entered = null;
        fork = null;
        xidCount = 0;
    }
}
