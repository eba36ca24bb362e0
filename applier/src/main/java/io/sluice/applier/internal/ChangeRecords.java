package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.ChangeTopicRecords;
import io.sluice.format.EventHeader;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
import io.sluice.format.Value;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Row changes as the records of keyed change topics ({@link ChangeTopicRecords}; FORMAT.md,
 * "Change topics"): an insert or update is the row's new state under its key, a delete a
 * tombstone, an update that changed the key a tombstone of the old key and the row under the new
 * one, and a TRUNCATE a tombstone for every key the table's topic holds. Built on the applier's
 * stream thread; thread-safe.
 */
final class ChangeRecords {

    private final String source;
    private final String follower;
    private final int maxRecordBytes;
    private final Map<TableId, String> topics = new ConcurrentHashMap<>();
    /** The last source transaction's header values (records come a transaction at a time). */
    private volatile SourceTransaction last;

    ChangeRecords(String source, String follower) {
        this(source, follower, ChangeTopicRecords.MAX_RECORD_BYTES);
    }

    /** With records of at most {@code maxRecordBytes} (key, value and headers). */
    ChangeRecords(String source, String follower, int maxRecordBytes) {
        this.source = source;
        this.follower = follower;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The table's change topic; a table whose name cannot be a topic's is refused, naming it. */
    String topic(TableId table) {
        return topics.computeIfAbsent(table, t -> {
            try {
                return TopicNames.changes(source, follower, t);
            } catch (IllegalArgumentException e) {
                throw new ApplierException(e.getMessage() + "; follower " + follower + " (change topics) stops here", false, e);
            }
        });
    }

    List<ProducerRecord<byte[], byte[]>> insert(ChangeEvent.Insert e) {
        return List.of(row("insert", e.header(), e.table(), key(e.table(), e.key(), e.after(), e), e.after()));
    }

    List<ProducerRecord<byte[], byte[]>> inserts(List<ChangeEvent.Insert> rows) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(rows.size());
        for (ChangeEvent.Insert e : rows) {
            out.add(row("insert", e.header(), e.table(), key(e.table(), e.key(), e.after(), e), e.after()));
        }
        return out;
    }

    List<ProducerRecord<byte[], byte[]>> update(ChangeEvent.Update e) {
        byte[] oldKey = key(e.table(), e.key(), e.identity(), e);
        Map<String, Value> newKeyValues = new HashMap<>();
        for (String k : e.key()) {
            Value v = e.after().get(k);
            newKeyValues.put(k, v == null || v instanceof Value.Unchanged ? e.identity().get(k) : v);
        }
        byte[] newKey = key(e.table(), e.key(), newKeyValues, e);
        ProducerRecord<byte[], byte[]> row = row("update", e.header(), e.table(), newKey, e.after());
        if (Arrays.equals(oldKey, newKey)) {
            return List.of(row);
        }
        return List.of(tombstone(e.header(), e.table(), oldKey), row);
    }

    List<ProducerRecord<byte[], byte[]>> updates(List<ChangeEvent.Update> rows) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(rows.size());
        for (ChangeEvent.Update e : rows) {
            out.addAll(update(e));
        }
        return out;
    }

    List<ProducerRecord<byte[], byte[]>> delete(ChangeEvent.Delete e) {
        return List.of(tombstone(e.header(), e.table(), key(e.table(), e.key(), e.before(), e)));
    }

    List<ProducerRecord<byte[], byte[]>> deletes(List<ChangeEvent.Delete> rows) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(rows.size());
        for (ChangeEvent.Delete e : rows) {
            out.add(tombstone(e.header(), e.table(), key(e.table(), e.key(), e.before(), e)));
        }
        return out;
    }

    /**
     * A tombstone for every key the table's topic holds, read back to its end without isolation (so
     * the open transaction's own records count; a tombstone for a key with no row deletes nothing).
     */
    List<ProducerRecord<byte[], byte[]>> tombstones(Map<String, Object> kafka, TableId table, EventHeader header) {
        String topic;
        try {
            topic = topic(table);
        } catch (ApplierException noName) {
            return List.of(); // a table with no topic name never had a record
        }
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-applier-change-records");
        p.put("isolation.level", "read_uncommitted");
        Set<ByteBuffer> keys = new LinkedHashSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = c.partitionsFor(topic, Duration.ofSeconds(30));
            if (partitions == null || partitions.isEmpty()) {
                return List.of();
            }
            List<TopicPartition> tps = partitions.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    keys.add(ByteBuffer.wrap(r.key()));
                }
            }
        }
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(keys.size());
        for (ByteBuffer k : keys) {
            out.add(tombstone(header, table, k.array()));
        }
        return out;
    }

    private byte[] key(TableId table, List<String> key, Map<String, Value> values, ChangeEvent e) {
        try {
            return ChangeTopicRecords.key(table, key, values);
        } catch (IllegalArgumentException refused) {
            throw new ApplierException("a " + e.kind() + " at source LSN " + e.header().commitLsn() + " cannot be written to a"
                    + " change topic: " + refused.getMessage() + "; follower " + follower + " (change topics) stops here", false,
                    refused);
        }
    }

    private ProducerRecord<byte[], byte[]> row(String op, EventHeader h, TableId table, byte[] key, Map<String, Value> row) {
        RecordHeaders headers = headers(op, h);
        byte[] unchanged = ChangeTopicRecords.unchanged(row);
        if (unchanged != null) {
            headers.add(ChangeTopicRecords.UNCHANGED, unchanged);
        }
        byte[] value = ChangeTopicRecords.value(row);
        if ((long) key.length + value.length > maxRecordBytes - HEADER_ALLOWANCE) {
            throw tooLarge(h, table, key, row, key.length + (long) value.length);
        }
        return new ProducerRecord<>(topic(table), null, key, value, headers);
    }

    private ApplierException tooLarge(EventHeader h, TableId table, byte[] key, Map<String, Value> row, long bytes) {
        Map.Entry<String, Value> largest = null;
        long most = -1;
        for (Map.Entry<String, Value> c : row.entrySet()) {
            long size = c.getValue() instanceof Value.Unchanged ? 0 : SqlText.of(c.getValue()).length();
            if (size > most) {
                most = size;
                largest = c;
            }
        }
        String keyText = new String(key, StandardCharsets.UTF_8);
        return new ApplierException("the row of " + table + " with key " + (keyText.length() > 200 ? keyText.substring(0, 200) + "…" : keyText)
                + " at source LSN " + h.commitLsn() + " is " + bytes + " bytes as a change record (its column " + largest.getKey()
                + " " + most + " characters), more than a change topic's record may hold (" + maxRecordBytes
                + " bytes; a compacted topic keeps one record per key, so a row is never cut across records); follower "
                + follower + " (change topics) stops here", false, null);
    }

    private ProducerRecord<byte[], byte[]> tombstone(EventHeader h, TableId table, byte[] key) {
        return new ProducerRecord<>(topic(table), null, key, null, headers("delete", h));
    }

    private RecordHeaders headers(String op, EventHeader h) {
        SourceTransaction t = last;
        if (t == null || t.xid != h.xid() || !t.commitLsn.equals(h.commitLsn())) {
            t = new SourceTransaction(h.commitLsn(), h.xid());
            last = t;
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add(ChangeTopicRecords.OP, OPS.get(op));
        headers.add(ChangeTopicRecords.COMMIT_LSN, t.lsnText);
        headers.add(ChangeTopicRecords.XID, t.xidText);
        return headers;
    }

    /** Room left in a record for its headers and Kafka's own framing of it. */
    private static final int HEADER_ALLOWANCE = 1024;

    private static final Map<String, byte[]> OPS = Map.of("insert", bytes("insert"), "update", bytes("update"),
            "delete", bytes("delete"));

    /** A source transaction's header values, shared by its records (Kafka copies header bytes as it serialises). */
    private static final class SourceTransaction {
        final io.sluice.format.Lsn commitLsn;
        final long xid;
        final byte[] lsnText;
        final byte[] xidText;

        SourceTransaction(io.sluice.format.Lsn commitLsn, long xid) {
            this.commitLsn = commitLsn;
            this.xid = xid;
            this.lsnText = bytes(commitLsn.toString());
            this.xidText = bytes(Long.toString(xid));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
