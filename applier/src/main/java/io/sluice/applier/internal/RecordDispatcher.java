package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.RecordJoiner;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * A poll's records into the group assembler: each record decoded into its events (one event, or a
 * run of one frame's events; the fragments of a longer run joined first, {@link RecordJoiner}), a replaced primary's records left out ({@link EpochGate}), and every
 * event checked before the assembler sees it — one that cannot be decoded, belongs to another
 * source or describes a schema the applier refuses ({@link SchemaGuard}) stops the applier naming
 * its topic-partition@offset, before anything of it reaches the follower.
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class RecordDispatcher {

    private final String sourceId;
    private final EpochGate gate;
    private final GroupAssembler assembler;
    private final RecordJoiner joiner = new RecordJoiner();
    private long stoppedAt = -1;

    public RecordDispatcher(String sourceId, EpochGate gate, GroupAssembler assembler) {
        this.sourceId = sourceId;
        this.gate = gate;
        this.assembler = assembler;
    }

    /**
     * Hands every event of {@code records} to the assembler in order, until one asks to read again
     * from elsewhere or to stop ({@link GroupAssembler.Outcome}); the rest of the poll is then left
     * unread, and {@link #stoppedAt} says at which record.
     */
    public GroupAssembler.Outcome dispatch(ConsumerRecords<byte[], ByteBuffer> records) throws SQLException {
        for (ConsumerRecord<byte[], ByteBuffer> r : records) {
            RecordJoiner.Joined payload;
            try {
                payload = joiner.offer(r.offset(), r.value());
            } catch (FormatException ex) {
                throw refused(r, ex.getMessage(), ex);
            }
            if (payload == null) {
                continue; // a fragment: its payload is whole only with its last one
            }
            List<ChangeEvent> run = payload.events();
            if (gate.refuses(run, payload.firstOffset())) {
                continue; // written by a capture of a replaced primary: not the stream's history
            }
            // A frame always starts a payload, so a frame is known by the offset of its first record.
            for (int i = 0; i < run.size(); i++) {
                ChangeEvent e = run.get(i);
                if (!e.header().source().equals(sourceId)) {
                    throw new ApplierException("event for source '" + e.header().source() + "' at " + where(r)
                            + " on the stream of source '" + sourceId + "'", false, null);
                }
                String refusal = e instanceof ChangeEvent.SchemaChange s ? SchemaGuard.refusal(s) : null;
                if (refusal != null) {
                    throw refused(r, refusal, null);
                }
                long offset = payload.offsetOf(i);
                GroupAssembler.Outcome outcome = assembler.handle(e, offset);
                if (outcome != GroupAssembler.Outcome.NEXT) {
                    stoppedAt = offset;
                    return outcome;
                }
            }
        }
        return GroupAssembler.Outcome.NEXT;
    }

    /** The offset of the record whose event ended the last {@link #dispatch} early. */
    public long stoppedAt() {
        return stoppedAt;
    }

    private static ApplierException refused(ConsumerRecord<?, ?> r, String why, Exception cause) {
        return new ApplierException("bad event at " + where(r) + ": " + why + "; the follower stays at its last good watermark",
                false, cause);
    }

    private static String where(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }
}
