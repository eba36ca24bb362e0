package io.sluice.capture.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes whole BEGIN · events · COMMIT frames, heartbeats and standalone messages to the stream,
 * each once: what both capture engines share of the stream's contract (log-format/FORMAT.md).
 *
 * <p>A frame's events are held ({@link TransactionBuffer}, spilling to disk past a bound) until its
 * commit LSN is known — the end of the commit record, which logical decoding reports only with the
 * COMMIT — then produced at once. A slot re-reads what it had not confirmed when capture stopped:
 * frames and positions the stream already holds (at or below {@code streamedThrough},
 * {@link StreamTail}) are dropped. A frame whose commit LSN is known when it opens (a streamed
 * transaction replayed at its commit, {@link #openCommitted}) is produced as it is built instead.
 * Not thread-safe: one engine thread.
 */
public final class FrameWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FrameWriter.class);

    /** How many events of one transaction stay in memory before it spills, and where to. */
    public record BufferSettings(int memoryEvents, Path spillDirectory) { }

    private final String source;
    private final TransactionBuffer buffer;
    private final StreamWriter writer;
    private final Clock clock;
    private final Lsn streamedThrough;
    private long replaysDropped;
    private EventHeader open;
    /** Whether the open frame's commit LSN was known at its BEGIN: its events go out as they come. */
    private boolean committed;
    /** Whether the open frame is one the stream already holds: its events are dropped. */
    private boolean held;
    private long seq;
    private long sent;

    public FrameWriter(String source, BufferSettings settings, StreamWriter writer, Clock clock, Lsn streamedThrough) {
        this.source = source;
        this.buffer = new TransactionBuffer(settings.memoryEvents(), settings.spillDirectory());
        this.writer = writer;
        this.clock = clock;
        this.streamedThrough = streamedThrough;
    }

    public boolean isOpen() {
        return open != null;
    }

    /** Opens the frame of transaction {@code xid}; a frame still open is dropped (it never committed). */
    public void open(long xid, Instant commitTime) {
        if (open != null) {
            log.warn("transaction {} began while {} was open; the open one is dropped (never committed?)", xid, open.xid());
            buffer.clear();
        }
        open = new EventHeader(source, Lsn.ZERO, xid, commitTime.truncatedTo(ChronoUnit.MICROS), 0);
        seq = 0;
        committed = false;
        held = false;
    }

    /**
     * Opens the frame of a transaction that has already committed at {@code commitLsn}: its BEGIN
     * (with its first event) and events go to the stream as they are added — none if the stream
     * already holds it, or if it holds no event — so a transaction of any size passes without
     * being held again.
     */
    public void openCommitted(long xid, Instant commitTime, Lsn commitLsn) {
        open(xid, commitTime);
        if (commitLsn.compareTo(streamedThrough) <= 0) {
            held = true;
            noteReplay();
            return;
        }
        open = new EventHeader(source, commitLsn, xid, open.commitTime(), 0);
        committed = true;
        sent = 0;
    }

    /** The header of the open frame's next event (its commit LSN is stamped when the frame closes, unless known already). */
    public EventHeader next() {
        if (open == null) {
            throw new IllegalStateException("an event arrived outside a transaction frame");
        }
        return open.withSeq(++seq);
    }

    public void add(ChangeEvent event) {
        if (held) {
            return;
        }
        if (committed) {
            if (sent == 0) {
                writer.send(new ChangeEvent.Begin(open));
            }
            writer.send(event);
            sent++;
        } else {
            buffer.add(event);
        }
    }

    public long buffered() {
        return buffer.size();
    }

    /** The number of events the open frame has been given headers for so far. */
    public long events() {
        return seq;
    }

    public long openXid() {
        return open == null ? 0 : open.xid();
    }

    /**
     * Produces the open frame under {@code commitLsn}, unless the stream already holds it.
     *
     * @return whether it was produced
     */
    public boolean close(Lsn commitLsn) {
        if (open == null) {
            throw new IllegalStateException("COMMIT at " + commitLsn + " without its BEGIN");
        }
        if (committed || held) {
            if (committed && !commitLsn.equals(open.commitLsn())) {
                throw new IllegalStateException("transaction " + open.xid() + " opened at commit LSN " + open.commitLsn()
                        + " but committed at " + commitLsn);
            }
            boolean produced = committed && sent > 0;
            if (produced) {
                writer.send(new ChangeEvent.Commit(open.withSeq(sent + 1), sent));
            }
            open = null;
            return produced;
        }
        if (commitLsn.compareTo(streamedThrough) <= 0) {
            noteReplay();
            buffer.clear();
            open = null;
            return false;
        }
        EventHeader h = new EventHeader(source, commitLsn, open.xid(), open.commitTime(), 0);
        long events = buffer.size();
        writer.send(new ChangeEvent.Begin(h));
        buffer.drain(commitLsn, writer::send);
        writer.send(new ChangeEvent.Commit(h.withSeq(events + 1), events));
        open = null;
        return true;
    }

    private void noteReplay() {
        if (replaysDropped++ == 0) {
            log.info("the slot replays transactions the stream already holds (up to {}); they are not produced again",
                    streamedThrough);
        }
    }

    /**
     * Writes a heartbeat at {@code lsn}: the slot may be confirmed up to there, and the stream says
     * so too, so that a capture resuming from the stream never finds the slot ahead of it. Only
     * between frames, and only past what the stream holds.
     */
    public boolean heartbeat(Lsn lsn) {
        if (open != null || lsn.compareTo(streamedThrough) <= 0) {
            return false;
        }
        writer.send(new ChangeEvent.Heartbeat(new EventHeader(source, lsn, 0, clock.instant().truncatedTo(ChronoUnit.MICROS), 0)));
        return true;
    }

    /**
     * Writes a non-transactional logical message that stands between frames; capture's own
     * heartbeat messages ({@link Heartbeats#PREFIX}) become heartbeat events.
     */
    public boolean standalone(Lsn lsn, Instant time, String prefix, byte[] content) {
        if (prefix.equals(Heartbeats.PREFIX)) {
            return heartbeat(lsn);
        }
        if (lsn.compareTo(streamedThrough) <= 0) {
            return false;
        }
        writer.send(new ChangeEvent.Message(new EventHeader(source, lsn, 0, time.truncatedTo(ChronoUnit.MICROS), 0),
                false, prefix, content));
        return true;
    }

    /**
     * Starts a frame whose commit LSN is known before its events — the initial snapshot, at the
     * slot's consistent point — so its events go to Kafka as they come instead of being held.
     * The frame is thread-safe: copy workers add to it concurrently.
     */
    public KnownFrame openKnown(Lsn commitLsn, long xid, Instant commitTime) {
        if (open != null) {
            throw new IllegalStateException("a frame is already open (xid " + open.xid() + ")");
        }
        return new KnownFrame(new EventHeader(source, commitLsn, xid, commitTime.truncatedTo(ChronoUnit.MICROS), 0));
    }

    /** A frame written as it is built; see {@link #openKnown}. */
    public final class KnownFrame {
        private final EventHeader header;
        private long events;

        private KnownFrame(EventHeader header) {
            this.header = header;
            writer.send(new ChangeEvent.Begin(header));
        }

        /** Sends the event {@code build} makes from the frame's next header, and returns it. */
        public synchronized ChangeEvent send(java.util.function.Function<EventHeader, ChangeEvent> build) {
            ChangeEvent e = build.apply(header.withSeq(++events));
            writer.send(e);
            return e;
        }

        public synchronized long events() {
            return events;
        }

        /** Ends the frame; a frame never committed is void on the stream (FORMAT.md). */
        public synchronized void commit() {
            writer.send(new ChangeEvent.Commit(header.withSeq(events + 1), events));
        }
    }

    /** Drops a frame still open (on stop): it was never produced, and the slot sends it again. */
    public void discardOpen(String what) {
        if (open != null) {
            log.info("stopping inside transaction {} ({} events buffered{}); it will be captured again on restart",
                    open.xid(), buffer.size(), what);
            buffer.clear();
            open = null;
        }
    }

    @Override
    public void close() {
        buffer.close();
        open = null;
    }
}
