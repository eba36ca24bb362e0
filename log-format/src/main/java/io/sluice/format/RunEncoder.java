package io.sluice.format;

import java.util.Objects;

/**
 * Builds version 3 payloads (FORMAT.md, "Version 3"): a run of consecutive events of one frame
 * under one header, so that a frame of many events is one Kafka record rather than one record
 * per event. A run starts a frame with its BEGIN or continues the frame of the run before it; a
 * COMMIT ends it; a heartbeat or non-transactional message is a run of its own. Not thread-safe.
 */
public final class RunEncoder {

    private final BinaryOut events = new BinaryOut(4096);
    private EventHeader first;
    private int count;
    private boolean closed;

    /**
     * Whether {@code event} may be added to this run: the first event of an empty run, or the next
     * event of the same frame (same source, commit LSN, xid and time, the next seq) while the run
     * has not ended with a COMMIT or a standalone event.
     */
    public boolean accepts(ChangeEvent event) {
        if (count == 0) {
            return true;
        }
        EventHeader h = event.header();
        return !closed && !(event instanceof ChangeEvent.Begin) && !standalone(event)
                && h.seq() == first.seq() + count && h.xid() == first.xid() && h.commitLsn().equals(first.commitLsn())
                && h.commitTime().equals(first.commitTime()) && h.source().equals(first.source());
    }

    /**
     * Appends an event.
     *
     * @throws IllegalArgumentException if the run does not {@linkplain #accepts accept} it, or a value
     *                                  has no binary form (the run is left as it was)
     */
    public void add(ChangeEvent event) {
        Objects.requireNonNull(event, "event");
        if (!accepts(event)) {
            throw new IllegalArgumentException("event " + event.kind() + " " + event.header()
                    + " does not continue the run of " + count + " events from " + first);
        }
        int mark = events.length();
        try {
            events.write(BinaryCodec.kindCode(event));
            // The run's header is shared: its first event's epoch holds for the whole run.
            BinaryCodec.body(events, event, count == 0 ? event.header().epoch() : 0);
        } catch (RuntimeException e) {
            events.truncate(mark);
            throw e;
        }
        if (count++ == 0) {
            first = event.header();
        }
        closed = event instanceof ChangeEvent.Commit || standalone(event);
    }

    /** Events in the run so far. */
    public int events() {
        return count;
    }

    /** Encoded bytes of the run's events so far (the payload adds its header). */
    public int bytes() {
        return events.length();
    }

    /**
     * The payload of the run, which is then emptied for the next one.
     *
     * @throws IllegalStateException if the run is empty
     */
    public byte[] finish() {
        if (count == 0) {
            throw new IllegalStateException("an empty run has no payload");
        }
        BinaryOut out = new BinaryOut(events.length() + 48);
        out.write(BinaryCodec.MAGIC);
        out.write(BinaryCodec.RUN_VERSION);
        BinaryCodec.header(out, first);
        out.varlong(count);
        out.append(events);
        events.truncate(0);
        count = 0;
        first = null;
        closed = false;
        return out.toByteArray();
    }

    private static boolean standalone(ChangeEvent event) {
        return event instanceof ChangeEvent.Heartbeat || event instanceof ChangeEvent.Message m && !m.transactional();
    }
}
