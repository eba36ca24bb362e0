package io.sluice.monitor.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.ConsistencyToken;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.RecordJoiner;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Finds a consistency token's transaction on the stream: the commit LSN of the frame with the
 * token's xid that commits after the token's bound. A follower whose watermark is only a position
 * (change topics, DuckDB: no list of the transactions each group applied) has applied the token's
 * transaction exactly when its watermark reaches that commit LSN. The stream is ordered by commit
 * LSN: a binary search over offsets finds the first record after the bound, and the frames from
 * there are read until the xid's (waiting for capture where it is not on the stream yet).
 * Thread-safe (one lookup at a time); results cached.
 */
public final class TokenLocator implements AutoCloseable {

    private final TopicPartition partition;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<ConsistencyToken, Lsn> found = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ConsistencyToken, Lsn> eldest) {
            return size() > 1024;
        }
    };

    public TokenLocator(String sourceId, Map<String, Object> kafka) {
        this.partition = new TopicPartition(TopicNames.stream(sourceId), 0);
        Map<String, Object> p = new HashMap<>(kafka);
        p.put("client.id", "sluice-monitor-tokens-" + sourceId);
        p.put("enable.auto.commit", "false");
        p.put("max.poll.records", "500");
        p.put("fetch.max.wait.ms", "10");
        p.remove("group.id");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.consumer.assign(List.of(partition));
    }

    /** The commit LSN of the token's transaction, or empty when it is not on the stream by {@code deadlineNanos}. */
    public synchronized Optional<Lsn> commitLsn(ConsistencyToken token, long deadlineNanos) {
        Lsn known = found.get(token);
        if (known != null) {
            return Optional.of(known);
        }
        long xid = token.streamXid();
        consumer.seek(partition, firstAfter(token.lsnBound(), deadlineNanos));
        RecordJoiner joiner = new RecordJoiner();
        while (System.nanoTime() < deadlineNanos) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                for (ChangeEvent e : events(joiner, r)) {
                    if (ConsistencyToken.streamXid(e.header().xid()) == xid && e.header().commitLsn().isAfter(token.lsnBound())) {
                        found.put(token, e.header().commitLsn());
                        return Optional.of(e.header().commitLsn());
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The offset of the first record committed after {@code bound} (the end when none is yet). */
    private long firstAfter(Lsn bound, long deadlineNanos) {
        long lo = consumer.beginningOffsets(List.of(partition)).get(partition);
        long hi = consumer.endOffsets(List.of(partition)).get(partition);
        while (lo < hi && System.nanoTime() < deadlineNanos) {
            long mid = lo + (hi - lo) / 2;
            Lsn at = lsnAt(mid, deadlineNanos);
            if (at != null && at.isAfter(bound)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** The commit LSN of the first payload that begins at or after {@code offset}; null when none could be read. */
    private Lsn lsnAt(long offset, long deadlineNanos) {
        consumer.seek(partition, offset);
        RecordJoiner joiner = new RecordJoiner(); // a fragmented payload's: read once its last fragment is
        while (System.nanoTime() < deadlineNanos) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                List<ChangeEvent> events = events(joiner, r);
                if (!events.isEmpty()) {
                    return events.get(0).header().commitLsn();
                }
            }
        }
        return null;
    }

    /** The events of the payload {@code r} completes; none while it is a fragment of one not yet whole. */
    private static List<ChangeEvent> events(RecordJoiner joiner, ConsumerRecord<byte[], byte[]> r) {
        try {
            RecordJoiner.Joined payload = r.value() == null ? null : joiner.offer(r.offset(), r.value());
            return payload == null ? List.of() : payload.events();
        } catch (FormatException e) {
            return List.of(); // not the monitor's to refuse: the applier stops at it, naming it
        }
    }

    @Override
    public synchronized void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
