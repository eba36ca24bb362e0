package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.Lsn;
import io.sluice.format.SaidDefinitions;
import java.time.Clock;

/**
 * Puts what the stream said of tables and enums ({@link StreamDefinitions}) onto the stream itself, so a capture started
 * again reads it back ({@link DefinitionsReadBack}) instead of taking the catalog's state by then: a frame that changed
 * it carries the changes before its COMMIT — so they are on the stream exactly when the frame is — and, every so many
 * events, everything stands between two frames, so reading back starts from there and need not go further back.
 * Not thread-safe: the engine's thread (and the initial snapshot's, before that starts).
 */
final class DefinitionsOnStream implements SnapshotCopy.Definitions {

    /** Events between two messages of everything, at least; more for many tables, to keep those messages a small part. */
    private static final long EVERYTHING_EVERY_EVENTS = 50_000;
    private static final long EVERY_EVENTS_PER_ENTRY = 200;

    private final StreamDefinitions said;
    private final Clock clock;
    private long eventsSince;
    /** A message of everything is due at the first frame after a start, unless nothing was ever said. */
    private boolean everythingDue = true;
    private boolean changedSince;

    DefinitionsOnStream(StreamDefinitions said, Clock clock) {
        this.said = said;
        this.clock = clock;
    }

    @Override
    public void said(TableShape shape) {
        said.said(shape);
    }

    @Override
    public SaidDefinitions changes() {
        SaidDefinitions changes = said.changes();
        changedSince |= changes != null;
        return changes;
    }

    /** Adds what the open frame changed, if anything, before its COMMIT. */
    void intoFrame(FrameWriter frames) {
        SaidDefinitions changes = changes();
        if (changes != null) {
            frames.add(changes.toEvent(frames.next()));
        }
    }

    /**
     * After a frame of {@code events} events committed at {@code commitLsn}: writes everything, standing after it, when
     * that is due.
     */
    void afterFrame(FrameWriter frames, Lsn commitLsn, long events) {
        eventsSince += events;
        boolean due = everythingDue || eventsSince >= Math.max(EVERYTHING_EVERY_EVENTS, EVERY_EVENTS_PER_ENTRY * said.size());
        if (!due || said.size() == 0 && !changedSince) {
            return; // nothing said, and nothing earlier to supersede
        }
        if (frames.standalone(commitLsn, clock.instant(), SaidDefinitions.PREFIX, said.everything().toJson())) {
            eventsSince = 0;
            everythingDue = false;
            changedSince = false;
        }
    }
}
