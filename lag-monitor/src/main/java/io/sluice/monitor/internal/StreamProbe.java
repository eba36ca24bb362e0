package io.sluice.monitor.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.Fragments;
import io.sluice.format.Lsn;
import io.sluice.format.RecordJoiner;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The monitor's view of the stream: its end offset, each applier's committed offset (two admin
 * requests per evaluation), and — read on demand and cached, since the stream is append-only —
 * the newest event and the first transaction after a given offset.
 */
public final class StreamProbe implements AutoCloseable {

    /** A transaction on the stream: the offset of its BEGIN and its header. */
    public record Tx(long offset, Lsn commitLsn, long xid, Instant commitTime) { }

    /** The newest event on the stream: its LSN and, for heartbeats, when capture wrote it. */
    public record Tail(long offset, Lsn lsn, Instant time, String kind) { }

    /** What one evaluation learns from Kafka's admin API. */
    /**
     * The stream's end offset, each group's committed offset, and its metadata where it has some
     * (a change-topics follower's watermark, FORMAT.md).
     */
    public record Offsets(long end, Map<String, Long> committed, Map<String, String> metadata) {

        public Offsets(long end, Map<String, Long> committed) {
            this(end, committed, Map.of());
        }
    }

    private static final int SCAN_LIMIT = 2_000;

    private final String topic;
    private final TopicPartition partition;
    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Duration timeout;
    private long requests;

    // Lookups are pure functions of the (append-only) stream: cache them.
    private final Map<Long, Tx> found = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Tx> eldest) {
            return size() > 256;
        }
    };
    /** Offsets from which no transaction was found, with how far the scan got: continued next time. */
    private final Map<Long, Long> scannedTo = new HashMap<>();
    private Tail tail;

    public StreamProbe(String sourceId, Map<String, Object> kafka, Duration timeout) {
        this.topic = TopicNames.stream(sourceId);
        this.partition = new TopicPartition(topic, 0);
        this.timeout = timeout;
        Map<String, Object> adminProps = new HashMap<>(kafka);
        adminProps.putIfAbsent("client.id", "sluice-monitor-admin-" + sourceId);
        adminProps.put("request.timeout.ms", (int) Math.max(1000, timeout.toMillis()));
        adminProps.put("default.api.timeout.ms", (int) Math.max(2000, timeout.toMillis() * 2));
        this.admin = Admin.create(adminProps);
        Map<String, Object> consumerProps = new HashMap<>(kafka);
        consumerProps.putIfAbsent("client.id", "sluice-monitor-" + sourceId);
        consumerProps.put("enable.auto.commit", "false");
        consumerProps.put("max.poll.records", "100");
        consumerProps.put("fetch.max.wait.ms", "10");
        consumerProps.put("max.partition.fetch.bytes", String.valueOf(256 * 1024));
        consumerProps.put("request.timeout.ms", (int) Math.max(1000, timeout.toMillis()));
        consumerProps.put("default.api.timeout.ms", (int) Math.max(2000, timeout.toMillis() * 2));
        consumerProps.remove("group.id");
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.consumer.assign(List.of(partition));
    }

    /** The stream's end offset (0 when the topic does not exist yet) and each group's committed offset. */
    public Offsets offsets(Collection<String> groups) throws Exception {
        long end;
        try {
            requests++;
            end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                end = 0;
            } else {
                throw unwrap(e);
            }
        }
        Map<String, Long> committed = new HashMap<>();
        Map<String, String> metadata = new HashMap<>();
        if (!groups.isEmpty()) {
            Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
            for (String g : groups) {
                specs.put(g, new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(partition)));
            }
            requests++;
            try {
                Map<String, Map<TopicPartition, OffsetAndMetadata>> all = admin.listConsumerGroupOffsets(specs).all()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                all.forEach((g, offsets) -> {
                    OffsetAndMetadata o = offsets.get(partition);
                    if (o != null) {
                        committed.put(g, o.offset());
                        if (o.metadata() != null && !o.metadata().isEmpty()) {
                            metadata.put(g, o.metadata());
                        }
                    }
                });
            } catch (ExecutionException e) {
                throw unwrap(e);
            }
        }
        return new Offsets(end, committed, metadata);
    }

    /** The newest event on the stream, read when the end offset moved. */
    public Optional<Tail> tail(long end) {
        if (end <= 0) {
            return Optional.empty();
        }
        if (tail != null && tail.offset() == end - 1) {
            return Optional.of(tail);
        }
        ChangeEvent e = lastEvent(end - 1);
        if (e != null) {
            tail = new Tail(end - 1, e.header().commitLsn(), e.header().commitTime(), e.kind());
        }
        return Optional.ofNullable(tail);
    }

    /**
     * The last event of the payload ending at {@code offset}: its record's own, or — when the record
     * is the last fragment of a longer payload — of the payload read from its first fragment on.
     */
    private ChangeEvent lastEvent(long offset) {
        long from = -1;
        for (ConsumerRecord<byte[], byte[]> r : fetch(offset)) {
            if (r.offset() != offset) {
                continue;
            }
            if (r.value() == null || !Fragments.isFragment(r.value(), 0, r.value().length)) {
                return last(join(new RecordJoiner(), r));
            }
            try {
                from = offset - Fragments.read(r.value(), 0, r.value().length).index();
            } catch (FormatException ex) {
                return null; // the applier reports bad events; the monitor only measures
            }
        }
        if (from < 0) {
            return null;
        }
        RecordJoiner joiner = new RecordJoiner();
        long at = from;
        while (at <= offset) {
            List<ConsumerRecord<byte[], byte[]>> batch = fetch(at);
            if (batch.isEmpty()) {
                return null;
            }
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                if (r.offset() < at || r.offset() > offset) {
                    continue;
                }
                at = r.offset() + 1;
                RecordJoiner.Joined payload = join(joiner, r);
                if (r.offset() == offset) {
                    return last(payload);
                }
            }
        }
        return null;
    }

    /**
     * The first transaction whose BEGIN is at or after {@code from} and before {@code end}
     * (heartbeats and standalone messages are passed over), or empty if there is none yet.
     */
    public Optional<Tx> firstTransaction(long from, long end) {
        if (from >= end) {
            return Optional.empty();
        }
        Tx cached = found.get(from);
        if (cached != null) {
            return Optional.of(cached);
        }
        long at = Math.max(from, scannedTo.getOrDefault(from, from));
        long limit = at + SCAN_LIMIT;
        RecordJoiner joiner = new RecordJoiner();
        while (at < end && (at < limit || joiner.pending())) {
            List<ConsumerRecord<byte[], byte[]>> batch = fetch(at);
            if (batch.isEmpty()) {
                break;
            }
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                if (r.offset() < at) {
                    continue;
                }
                at = r.offset() + 1;
                RecordJoiner.Joined payload = join(joiner, r);
                ChangeEvent e = payload == null ? null : payload.events().get(0);
                if (e instanceof ChangeEvent.Begin
                        || e != null && !(e instanceof ChangeEvent.Heartbeat) && !(e instanceof ChangeEvent.Message m && !m.transactional())) {
                    Tx tx = new Tx(payload.firstOffset(), e.header().commitLsn(), e.header().xid(), e.header().commitTime());
                    found.put(from, tx);
                    scannedTo.remove(from);
                    return Optional.of(tx);
                }
            }
        }
        if (scannedTo.size() > 256) {
            scannedTo.clear();
        }
        scannedTo.put(from, joiner.pending() ? joiner.pendingFrom() : at); // a payload being gathered is read again whole
        return Optional.empty();
    }

    private List<ConsumerRecord<byte[], byte[]>> fetch(long offset) {
        requests++;
        consumer.seek(partition, offset);
        return consumer.poll(timeout).records(partition);
    }

    private static ChangeEvent last(RecordJoiner.Joined payload) {
        return payload == null ? null : payload.events().get(payload.events().size() - 1);
    }

    /** The payload {@code r} completes, or null: a fragment of one not yet whole, or unreadable. */
    private static RecordJoiner.Joined join(RecordJoiner joiner, ConsumerRecord<byte[], byte[]> r) {
        try {
            return joiner.offer(r.offset(), r.value());
        } catch (FormatException e) {
            return null; // the applier reports bad events; the monitor only measures
        }
    }

    /** Kafka requests issued so far (admin and fetches). */
    public long requests() {
        return requests;
    }

    private static Exception unwrap(ExecutionException e) {
        return e.getCause() instanceof Exception c ? c : e;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
        admin.close(Duration.ofSeconds(2));
    }

}
