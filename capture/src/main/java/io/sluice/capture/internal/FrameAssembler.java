package io.sluice.capture.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.sluice.format.Lsn;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium handler: turns the engine's records into frames on the stream ({@link FrameWriter})
 * and marks source offsets processed only once Kafka has acknowledged the frame that contains
 * them, so a crash anywhere loses no committed transaction. Offsets are marked only at frame
 * boundaries, never in the middle of a transaction. Called by the engine's single handler thread.
 */
public final class FrameAssembler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger log = LoggerFactory.getLogger(FrameAssembler.class);

    private final String transactionTopic;
    private final String heartbeatTopic;
    private final RecordMapper mapper;
    private final MessageGate gate;
    private final FrameWriter frames;
    private final StreamWriter writer;
    private final AtomicReference<Lsn> lastCommitted = new AtomicReference<>(Lsn.ZERO);
    private boolean snapshotFrame;     // the open frame is the initial snapshot

    public FrameAssembler(String source, TableShapesFactory shapes, MessageGate gate, FrameWriter.BufferSettings bufferSettings,
                          StreamWriter writer, Clock clock, Lsn streamedThrough) {
        this.transactionTopic = source + ".transaction";
        this.heartbeatTopic = "__debezium-heartbeat." + source;
        this.mapper = new RecordMapper(shapes.create(), gate);
        this.gate = gate;
        this.frames = new FrameWriter(source, bufferSettings, writer, clock, streamedThrough);
        this.writer = writer;
        this.lastCommitted.set(streamedThrough);
    }

    /** Creates the catalog reader (a seam so the connection comes from the service). */
    public interface TableShapesFactory {
        TableShapes create();
    }

    /** The commit LSN of the last frame Kafka acknowledged. */
    public Lsn lastCommittedLsn() {
        return lastCommitted.get();
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<RecordChangeEvent<SourceRecord>> boundaries = new ArrayList<>();
        Lsn produced = null;
        for (RecordChangeEvent<SourceRecord> r : records) {
            SourceRecord s = r.record();
            Lsn closed = handle(s);
            if (closed != null) {
                produced = closed;
            }
            if (!frames.isOpen()) {
                // Between frames every record's offset is safe to commit; inside one, none is.
                boundaries.add(r);
            }
        }
        writer.flush();
        if (produced != null) {
            lastCommitted.set(produced);
        }
        for (RecordChangeEvent<SourceRecord> r : boundaries) {
            committer.markProcessed(r);
        }
        committer.markBatchFinished();
    }

    /** Handles one record; returns the commit LSN of a frame it produced, else null. */
    private Lsn handle(SourceRecord s) {
        String topic = s.topic();
        Map<String, ?> offset = s.sourceOffset();
        if (topic.equals(transactionTopic)) {
            Struct v = (Struct) s.value();
            String status = v.getString("status");
            if ("BEGIN".equals(status)) {
                frames.open(txId(offset), micros(offset.get("ts_usec")));
                return null;
            }
            return closeFrame(new Lsn(((Number) offset.get("lsn_commit")).longValue()));
        }
        if (topic.equals(heartbeatTopic)) {
            frames.heartbeat(heartbeatLsn(offset));
            return null;
        }
        Struct value = (Struct) s.value();
        if (value == null) {
            return null; // a tombstone; deletes carry their own event
        }
        Struct src = value.getStruct("source");
        String op = value.getString("op");
        if ("r".equals(op)) {
            return snapshotRow(s, src);
        }
        if ("m".equals(op) && src.get("txId") == null) {
            standaloneMessage(value, src);
            return null;
        }
        if (!frames.isOpen()) {
            throw new IllegalStateException("a " + op + " event on " + topic + " arrived outside a transaction frame;"
                    + " capture needs provide.transaction.metadata=true");
        }
        mapper.map(s, frames::next).forEach(frames::add);
        return null;
    }

    private Lsn snapshotRow(SourceRecord s, Struct src) {
        if (!frames.isOpen()) {
            Object tx = src.get("txId");
            long xid = tx == null ? 1 : ((Number) tx).longValue();
            frames.open(xid, micros(src.get("ts_us")));
            snapshotFrame = true;
            log.info("initial snapshot started (xid {})", xid);
        }
        mapper.map(s, frames::next).forEach(frames::add);
        if ("last".equals(src.getString("snapshot"))) {
            Lsn lsn = new Lsn(((Number) src.get("lsn")).longValue());
            log.info("initial snapshot complete: {} rows at {}", frames.buffered(), lsn);
            return closeFrame(lsn);
        }
        return null;
    }

    private void standaloneMessage(Struct value, Struct src) {
        Struct message = value.getStruct("message");
        String prefix = message.getString("prefix");
        Lsn lsn = new Lsn(((Number) src.get("lsn")).longValue());
        byte[] content = gate.admit(prefix, lsn, ValueMapper.bytes(message.get("content")));
        if (content != null) {
            frames.standalone(lsn, micros(src.get("ts_us")), prefix, content);
        }
    }

    private Lsn closeFrame(Lsn commitLsn) {
        snapshotFrame = false;
        return frames.close(commitLsn) ? commitLsn : null;
    }

    /** Drops a frame still open (on stop): it was never produced, and Debezium will read it again. */
    public void discardOpenFrame() {
        frames.discardOpen(snapshotFrame ? ", initial snapshot" : "");
        frames.close();
    }

    private static Lsn heartbeatLsn(Map<String, ?> offset) {
        long lsn = offset.get("lsn") instanceof Number n ? n.longValue() : 0;
        long commit = offset.get("lsn_commit") instanceof Number n ? n.longValue() : 0;
        return new Lsn(Long.compareUnsigned(lsn, commit) >= 0 ? lsn : commit);
    }

    private static long txId(Map<String, ?> offset) {
        return ((Number) offset.get("txId")).longValue();
    }

    private static Instant micros(Object value) {
        long us = ((Number) value).longValue();
        return Instant.EPOCH.plus(us, ChronoUnit.MICROS);
    }
}
