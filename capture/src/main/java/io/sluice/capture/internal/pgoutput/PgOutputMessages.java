package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.capture.internal.MessageGate;
import io.sluice.format.Lsn;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Where each pgoutput message read from the slot goes, from the walsender or from the SQL
 * catch-up alike: decoded ({@link PgOutputDecoder}), held when it belongs to a transaction
 * streamed in progress ({@link StreamedTransactions}), else framed ({@link PgOutputFramer}). Not
 * thread-safe: the engine's thread.
 */
final class PgOutputMessages implements SlotCatchUp.Handler, AutoCloseable {

    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private final PgOutputFramer framer;
    private final StreamedTransactions inProgress;
    private final FrameWriter frames;

    /**
     * {@code spill}: where transactions streamed in progress are held until their commit; {@code gate}:
     * which logical messages are passed on; {@code definitions}: what the stream said, put on it with each frame.
     */
    PgOutputMessages(FrameWriter frames, RelationShapes shapes, DefinitionsOnStream definitions, String publication, Clock clock,
                     Path spill, MessageGate gate) {
        this.frames = frames;
        this.framer = new PgOutputFramer(frames, shapes, definitions, publication, clock, gate);
        this.inProgress = new StreamedTransactions(spill);
    }

    /** @return the position the stream reaches with the message once its frame is closed, else null */
    @Override
    public Lsn handle(ByteBuffer message) {
        PgOutputMessage m = decoder.decode(message);
        Lsn reached;
        if (m instanceof PgOutputMessage.StreamCommit commit) {
            reached = framer.commitStreamed(commit, inProgress);
        } else if (inProgress.take(m, message)) {
            return null;
        } else {
            reached = framer.handle(m);
        }
        return reached != null && !frames.isOpen() ? reached : null;
    }

    @Override
    public void discardOpen() {
        frames.discardOpen(", read again through the walsender");
    }

    @Override
    public void close() {
        inProgress.close();
    }
}
