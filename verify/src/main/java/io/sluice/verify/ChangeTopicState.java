package io.sluice.verify;

import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeTopicRecords;
import io.sluice.format.FormatException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A table as its keyed change topic holds it (FORMAT.md, "Change topics"), read as a consumer is
 * told to: committed records only ({@code read_committed}), in order; a tombstone removes its key;
 * a value replaces the key's row, except the columns its {@code sluice.unchanged} header names,
 * which keep the key's previous values.
 */
public final class ChangeTopicState {

    /**
     * The rows by key, each key and row as the records carry them (column → text, null for NULL),
     * and the keys whose last record is a tombstone.
     */
    public record Rows(Map<Map<String, String>, Map<String, String>> byKey, java.util.Set<Map<String, String>> deleted) { }

    private ChangeTopicState() {
    }

    /** Reads {@code topic} to its end; a topic that does not exist holds no rows. */
    public static Rows read(Map<String, Object> kafka, String topic, Duration timeout) {
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-verify-change-topic");
        p.put("isolation.level", "read_committed");
        Map<Map<String, String>, Map<String, String>> rows = new LinkedHashMap<>();
        java.util.Set<Map<String, String>> deleted = new java.util.HashSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = c.listTopics(timeout).get(topic);
            if (partitions == null) {
                return new Rows(rows, deleted);
            }
            List<TopicPartition> tps = partitions.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps); // the last stable offset under read_committed
            Instant deadline = Instant.now().plus(timeout);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("reading " + topic + " to its end took longer than " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    apply(rows, deleted, r);
                }
            }
        }
        return new Rows(rows, deleted);
    }

    private static void apply(Map<Map<String, String>, Map<String, String>> rows, java.util.Set<Map<String, String>> deleted,
                              ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> key;
        try {
            key = ChangeTopicRecords.parse(r.key());
        } catch (FormatException | NullPointerException e) {
            throw new FormatException("record " + r.topic() + "-" + r.partition() + "@" + r.offset() + " has no readable key", e);
        }
        if (r.value() == null) {
            rows.remove(key);
            deleted.add(key);
            return;
        }
        deleted.remove(key);
        Map<String, String> row = new LinkedHashMap<>(ChangeTopicRecords.parse(r.value()));
        Header unchanged = r.headers().lastHeader(ChangeTopicRecords.UNCHANGED);
        if (unchanged != null) {
            Map<String, String> before = rows.get(key);
            for (String column : ChangeTopicRecords.names(unchanged.value())) {
                if (before == null || !before.containsKey(column)) {
                    throw new FormatException("record " + r.topic() + "-" + r.partition() + "@" + r.offset() + " leaves column "
                            + column + " unchanged, but no earlier record of its key holds it");
                }
                row.put(column, before.get(column));
            }
        }
        rows.put(key, row);
    }
}
