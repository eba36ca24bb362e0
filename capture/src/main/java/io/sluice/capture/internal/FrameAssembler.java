package io.sluice.capture.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
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
 * The Debezium handler: turns the engine's records into whole BEGIN · events · COMMIT frames on
 * the stream, and marks source offsets processed only once Kafka has acknowledged the frame that
 * contains them, so a crash anywhere loses no committed transaction.
 *
 * <p>Each frame is held ({@link TransactionBuffer}) until Debezium's END record gives its commit
 * LSN, then produced at once. Offsets are marked only at frame boundaries, never in the middle of
 * a transaction. A slot re-reads what it had not confirmed when capture stopped: frames whose
 * commit LSN the stream already holds ({@link StreamTail}) are dropped, so each transaction is on
 * the stream once. Called by the engine's single handler thread.
 */
public final class FrameAssembler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger log = LoggerFactory.getLogger(FrameAssembler.class);
    /** Prefix of the non-transactional messages capture's heartbeat query writes to move the slot. */
    public static final String HEARTBEAT_PREFIX = "sluice.heartbeat";

    private final String source;
    private final String transactionTopic;
    private final String heartbeatTopic;
    private final RecordMapper mapper;
    private final TransactionBuffer buffer;
    private final StreamWriter writer;
    private final Clock clock;
    private final RecordMapper.SeqCounter seq = new RecordMapper.SeqCounter();
    private final AtomicReference<Lsn> lastCommitted = new AtomicReference<>(Lsn.ZERO);
    /** What the stream already holds when capture started: frames at or below it are not produced again. */
    private final Lsn streamedThrough;
    private long replaysDropped;

    private EventHeader open;          // header of the frame being read, null between frames
    private boolean snapshotFrame;     // the open frame is the initial snapshot

    public FrameAssembler(String source, TableShapesFactory shapes, TransactionBufferSettings bufferSettings,
                          StreamWriter writer, Clock clock, Lsn streamedThrough) {
        this.source = source;
        this.transactionTopic = source + ".transaction";
        this.heartbeatTopic = "__debezium-heartbeat." + source;
        this.mapper = new RecordMapper(shapes.create());
        this.buffer = new TransactionBuffer(bufferSettings.memoryEvents(), bufferSettings.spillDirectory());
        this.writer = writer;
        this.clock = clock;
        this.streamedThrough = streamedThrough;
        this.lastCommitted.set(streamedThrough);
    }

    /** Creates the catalog reader (a seam so the connection comes from the service). */
    public interface TableShapesFactory {
        TableShapes create();
    }

    public record TransactionBufferSettings(int memoryEvents, java.nio.file.Path spillDirectory) { }

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
            if (open == null) {
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

    /** Handles one record; returns the commit LSN of a frame it completed, else null. */
    private Lsn handle(SourceRecord s) {
        String topic = s.topic();
        Map<String, ?> offset = s.sourceOffset();
        if (topic.equals(transactionTopic)) {
            Struct v = (Struct) s.value();
            String status = v.getString("status");
            if ("BEGIN".equals(status)) {
                if (open != null) {
                    log.warn("transaction {} began while {} was open; the open one is dropped (never committed?)",
                            txId(offset), open.xid());
                    buffer.clear();
                }
                open = new EventHeader(source, Lsn.ZERO, txId(offset), micros(offset.get("ts_usec")), 0);
                seq.reset();
                return null;
            }
            if (open == null) {
                throw new IllegalStateException("END of transaction " + txId(offset) + " without its BEGIN");
            }
            return closeFrame(new Lsn(((Number) offset.get("lsn_commit")).longValue()));
        }
        if (topic.equals(heartbeatTopic)) {
            if (open == null) {
                writer.send(new ChangeEvent.Heartbeat(new EventHeader(source, heartbeatLsn(offset), 0,
                        clock.instant().truncatedTo(ChronoUnit.MICROS), 0)));
            }
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
        if (open == null) {
            throw new IllegalStateException("a " + op + " event on " + topic + " arrived outside a transaction frame;"
                    + " capture needs provide.transaction.metadata=true");
        }
        mapper.map(s, open, seq).forEach(buffer::add);
        return null;
    }

    private Lsn snapshotRow(SourceRecord s, Struct src) {
        if (open == null) {
            Object tx = src.get("txId");
            long xid = tx == null ? 1 : ((Number) tx).longValue();
            open = new EventHeader(source, Lsn.ZERO, xid, micros(src.get("ts_us")), 0);
            snapshotFrame = true;
            seq.reset();
            log.info("initial snapshot started (xid {})", xid);
        }
        mapper.map(s, open, seq).forEach(buffer::add);
        if ("last".equals(src.getString("snapshot"))) {
            Lsn lsn = new Lsn(((Number) src.get("lsn")).longValue());
            log.info("initial snapshot complete: {} rows at {}", buffer.size(), lsn);
            return closeFrame(lsn);
        }
        return null;
    }

    private void standaloneMessage(Struct value, Struct src) {
        Struct message = value.getStruct("message");
        String prefix = message.getString("prefix");
        if (prefix.equals(HEARTBEAT_PREFIX)) {
            // The slot may be confirmed up to here: the stream says so too, so that a capture
            // resuming from the stream never finds the slot ahead of it.
            if (open == null) {
                writer.send(new ChangeEvent.Heartbeat(new EventHeader(source, new Lsn(((Number) src.get("lsn")).longValue()), 0,
                        clock.instant().truncatedTo(ChronoUnit.MICROS), 0)));
            }
            return;
        }
        byte[] bytes = ValueMapper.bytes(message.get("content"));
        writer.send(new ChangeEvent.Message(new EventHeader(source, new Lsn(((Number) src.get("lsn")).longValue()), 0,
                micros(src.get("ts_us")), 0), false, prefix, bytes));
    }

    private Lsn closeFrame(Lsn commitLsn) {
        if (commitLsn.compareTo(streamedThrough) <= 0) {
            if (replaysDropped++ == 0) {
                log.info("the slot replays transactions the stream already holds (up to {}); they are not produced again",
                        streamedThrough);
            }
            buffer.clear();
            open = null;
            snapshotFrame = false;
            return null;
        }
        EventHeader h = new EventHeader(source, commitLsn, open.xid(), open.commitTime(), 0);
        long events = buffer.size();
        writer.send(new ChangeEvent.Begin(h));
        buffer.drain(commitLsn, writer::send);
        writer.send(new ChangeEvent.Commit(h.withSeq(events + 1), events));
        open = null;
        snapshotFrame = false;
        return commitLsn;
    }

    /** Drops a frame still open (on stop): it was never produced, and Debezium will read it again. */
    public void discardOpenFrame() {
        if (open != null) {
            log.info("stopping inside transaction {} ({} events buffered{}); it will be captured again on restart",
                    open.xid(), buffer.size(), snapshotFrame ? ", initial snapshot" : "");
        }
        buffer.close();
        open = null;
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
