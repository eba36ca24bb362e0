package io.sluice.capture;

import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.EventHeader;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.RunEncoder;
import io.sluice.format.TopicNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A source's epochs on Kafka (log-format/FORMAT.md, "Epochs"): the compacted epochs topic, one
 * record per promotion, which capture reads at every start to learn whether the primary it is given
 * is still the stream's; and the two events a promotion writes onto the stream — its marker, and the
 * heartbeat of the new primary's starting position.
 */
public final class Epochs {

    private Epochs() {
    }

    /**
     * The newest epoch's record, empty when the source was never failed over to a follower.
     *
     * @throws CaptureException FATAL when the topic cannot be read, or holds a record that is not a marker
     */
    public static Optional<EpochMarker> latest(String source, Map<String, Object> kafka, Duration timeout) {
        String topic = TopicNames.epochs(source);
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-epochs-" + source);
        p.put("allow.auto.create.topics", "false"); // asking must not create it, uncompacted
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> partitions = c.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                return Optional.empty();
            }
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp), timeout).get(tp);
            long deadline = System.nanoTime() + timeout.toNanos();
            EpochMarker newest = null;
            while (c.position(tp, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new CaptureException(Kind.FATAL, "reading " + topic + " took longer than " + timeout.toMillis() + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    EpochMarker m;
                    try {
                        m = EpochMarker.parse(r.value());
                    } catch (FormatException e) {
                        throw new CaptureException(Kind.FATAL, "the epochs topic holds a record that is not an epoch at "
                                + topic + "-0@" + r.offset() + ": " + e.getMessage(), e);
                    }
                    if (newest == null || m.epoch() >= newest.epoch()) {
                        newest = m;
                    }
                }
            }
            return Optional.ofNullable(newest);
        } catch (KafkaException e) {
            throw new CaptureException(Kind.FATAL, "cannot read the epochs of source " + source + " from " + topic + ": "
                    + e.getMessage(), e);
        }
    }

    /** Writes (or, once more is known, completes) an epoch's record, creating the compacted topic when absent. */
    public static void record(String source, Map<String, Object> kafka, EpochMarker marker, Duration timeout) {
        String topic = TopicNames.epochs(source);
        ensureTopic(topic, kafka, timeout);
        send(kafka, new ProducerRecord<>(topic, Long.toString(marker.epoch()).getBytes(StandardCharsets.UTF_8),
                marker.content()), timeout);
    }

    /** Writes the promotion marker onto the stream; returns its offset. */
    public static long mark(String source, Map<String, Object> kafka, EpochMarker marker, Duration timeout) {
        return standalone(source, kafka, marker.toEvent(source), timeout);
    }

    /**
     * Writes a heartbeat of {@code epoch} at {@code lsn}: the new primary's stream starts there, so a
     * capture of it resumes from its slot's position (everything before it is the old history).
     */
    public static long heartbeat(String source, Map<String, Object> kafka, long epoch, Lsn lsn, Instant at, Duration timeout) {
        return standalone(source, kafka, new ChangeEvent.Heartbeat(new EventHeader(source, lsn, 0, at, 0, epoch)), timeout);
    }

    private static long standalone(String source, Map<String, Object> kafka, ChangeEvent event, Duration timeout) {
        RunEncoder run = new RunEncoder();
        run.add(event);
        return send(kafka, new ProducerRecord<>(TopicNames.stream(source), source.getBytes(StandardCharsets.UTF_8),
                run.finish()), timeout);
    }

    private static long send(Map<String, Object> kafka, ProducerRecord<byte[], byte[]> record, Duration timeout) {
        Map<String, Object> p = new HashMap<>(kafka);
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.putIfAbsent("client.id", "sluice-promote");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            return producer.send(record).get(timeout.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException(Kind.FATAL, "interrupted while writing to " + record.topic(), e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new CaptureException(Kind.FATAL, "cannot write to " + record.topic() + ": "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    private static void ensureTopic(String topic, Map<String, Object> kafka, Duration timeout) {
        try (Admin admin = Admin.create(kafka)) {
            int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            short replication = (short) Math.min(3, brokers);
            NewTopic t = new NewTopic(topic, 1, replication).configs(Map.of("cleanup.policy", "compact",
                    "min.insync.replicas", String.valueOf(Math.max(1, replication - 1))));
            try {
                admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException(Kind.FATAL, "interrupted while creating topic " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CaptureException(Kind.CONFIGURATION, "cannot create or check topic " + topic + ": "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
    }
}
