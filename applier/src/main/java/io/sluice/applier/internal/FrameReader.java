package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Lsn;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a stream's events, in offset order, as frames — one source transaction each, BEGIN to
 * COMMIT (FORMAT.md, "Frames") — and says for each event what the applier does with it. Knows
 * nothing of Kafka or of the follower, so every case is tested on hand-built events.
 *
 * <ul>
 *   <li>A frame at or below the last one ended (or the watermark it was restarted at) is a
 *       duplicate: its events are skipped.</li>
 *   <li>A frame that ends without COMMIT — a new BEGIN, a heartbeat or a non-transactional
 *       message inside it, or an interruption from outside (a promotion marker) — is cut short: it
 *       is remembered as void by its BEGIN's offset, and the caller rolls back and reads again,
 *       meeting it as a frame to skip. A frame already being skipped that is cut short is simply
 *       dropped: nothing of it was applied.</li>
 *   <li>The operator's skip ({@code --skip-transaction}) ends like an applied frame (the
 *       watermark moves past it) but none of its changes is applied.</li>
 *   <li>A COMMIT whose event count differs from the changes its frame carried, or a change with no
 *       BEGIN before it that the follower has not applied, stops the applier.</li>
 * </ul>
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class FrameReader {

    /** What the applier does with the event just read. */
    public enum Step {
        /** A frame began that will be applied, or skipped on the operator's request ({@link #operatorSkipping()}). */
        BEGAN,
        /** A change of the open frame: apply it. */
        APPLY,
        /** The open frame committed: {@link #ended()} says what. */
        ENDED,
        /** A heartbeat or a non-transactional message between frames. */
        BETWEEN,
        /** The open frame was cut short ({@link #cutOffset()}, {@link #cutWhy()}): roll back and read again. */
        CUT_SHORT,
        /** Nothing to do: a duplicate's or a void frame's event, or the tail of a frame applied before. */
        SKIP
    }

    /** A frame's COMMIT. {@code skipped}: the operator skipped it, so none of its changes was applied. */
    public record FrameEnd(Lsn commitLsn, long xid, Instant commitTime, long offset, boolean skipped) { }

    private static final class Frame {
        final long beginOffset;
        final ChangeEvent.Begin begin;
        final boolean skip;
        final boolean operatorSkip;
        long events;

        Frame(long beginOffset, ChangeEvent.Begin begin, boolean skip, boolean operatorSkip) {
            this.beginOffset = beginOffset;
            this.begin = begin;
            this.skip = skip;
            this.operatorSkip = operatorSkip;
        }
    }

    private final String stream;
    private final Optional<Lsn> operatorSkip;
    private final Set<Long> voidFrames = new HashSet<>();
    private Lsn through;
    private Frame open;
    private FrameEnd ended;
    private long cutOffset = -1;
    private String cutWhy;

    /**
     * @param stream       the stream's topic-partition, for messages
     * @param operatorSkip the commit LSN of a transaction the operator asked to skip
     */
    public FrameReader(String stream, Optional<Lsn> operatorSkip) {
        this.stream = stream;
        this.operatorSkip = operatorSkip;
    }

    /**
     * Starts reading again after a seek: no frame open, and frames at or below {@code through}
     * (null: none) are duplicates. Void frames stay void.
     */
    public void restart(Lsn through) {
        this.through = through;
        open = null;
    }

    public Step read(ChangeEvent e, long offset) {
        if (e instanceof ChangeEvent.Begin b) {
            if (open != null && cut("a new BEGIN at offset " + offset)) {
                return Step.CUT_SHORT;
            }
            Lsn lsn = b.header().commitLsn();
            boolean duplicate = through != null && lsn.isAtOrBefore(through);
            boolean operator = !duplicate && operatorSkip.map(lsn::equals).orElse(false);
            open = new Frame(offset, b, duplicate || operator || voidFrames.contains(offset), operator);
            return open.skip && !operator ? Step.SKIP : Step.BEGAN;
        }
        if (e instanceof ChangeEvent.Heartbeat || e instanceof ChangeEvent.Message m && !m.transactional()) {
            if (open != null && cut("a " + e.kind() + " at offset " + offset)) {
                return Step.CUT_SHORT;
            }
            return Step.BETWEEN;
        }
        if (open == null) {
            if (through != null && e.header().commitLsn().isAtOrBefore(through)) {
                return Step.SKIP; // the tail of a frame applied before: the stream was read from inside it
            }
            throw new ApplierException("the stream resumes inside source transaction xid " + e.header().xid() + " at "
                    + stream + "@" + offset + " whose BEGIN was never read; the follower has not applied it", false, null);
        }
        if (e instanceof ChangeEvent.Commit c) {
            Frame f = open;
            open = null;
            if (f.skip && !f.operatorSkip) {
                return Step.SKIP;
            }
            if (!f.skip && c.eventCount() != f.events) {
                throw new ApplierException("frame of xid " + c.header().xid() + " at " + c.header().commitLsn() + " announces "
                        + c.eventCount() + " events but carried " + f.events + " (" + stream + "@" + offset + ")", false, null);
            }
            through = c.header().commitLsn();
            ended = new FrameEnd(through, c.header().xid(), c.header().commitTime(), offset, f.skip);
            return Step.ENDED;
        }
        if (open.skip) {
            return Step.SKIP;
        }
        open.events++;
        return Step.APPLY;
    }

    /**
     * Ends the open frame from outside (a promotion marker read inside it). True when the caller
     * must roll back and read again, as for {@link Step#CUT_SHORT}.
     */
    public boolean interrupt(String why) {
        return open != null && cut(why);
    }

    private boolean cut(String why) {
        Frame f = open;
        open = null;
        if (f.skip && !f.operatorSkip) {
            return false; // nothing of it was applied
        }
        voidFrames.add(f.beginOffset);
        cutOffset = f.beginOffset;
        cutWhy = "source transaction xid " + f.begin.header().xid() + " at " + f.begin.header().commitLsn() + " (offset "
                + f.beginOffset + ") was cut short on the stream (" + why + ")";
        return true;
    }

    /** Whether a frame is open. */
    public boolean inFrame() {
        return open != null;
    }

    /** Whether the frame that just began is skipped on the operator's request. */
    public boolean operatorSkipping() {
        return open != null && open.operatorSkip;
    }

    /** Where the open frame is, for error messages. */
    public String where() {
        return open == null ? null : "in source transaction xid " + open.begin.header().xid() + " at LSN "
                + open.begin.header().commitLsn();
    }

    /** The frame the last {@link Step#ENDED} ended. */
    public FrameEnd ended() {
        return ended;
    }

    /** The BEGIN offset of the frame the last cut ended. */
    public long cutOffset() {
        return cutOffset;
    }

    /** Why the last cut happened, naming the frame. */
    public String cutWhy() {
        return cutWhy;
    }
}
