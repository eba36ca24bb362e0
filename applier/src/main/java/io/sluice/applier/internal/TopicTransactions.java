package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeTopicRecords;
import io.sluice.format.Lsn;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change-topic follower's transactional producer: a Kafka transaction begun on a group's first
 * record and committed with the applier group's offset on the stream, so records and watermark
 * commit together. Its transactional id is the follower's — the writer lock: a second applier's
 * producer fences this one, whose next send or commit fails and stops it. Every Kafka failure
 * leaves as an {@link ApplierException} saying whether it is retried.
 *
 * <p>Used by the follower thread, or by the stream thread while the follower thread is idle.
 */
final class TopicTransactions {

    private static final Logger log = LoggerFactory.getLogger(TopicTransactions.class);

    private final ApplierConfig config;
    private final TopicPartition stream;
    private final String group;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private boolean inTransaction;

    TopicTransactions(ApplierConfig config, TopicPartition stream, String group) {
        this.config = config;
        this.stream = stream;
        this.group = group;
    }

    /** The transactional id of the follower's producer: one writer per follower and source. */
    static String transactionalId(String source, String follower) {
        return "sluice-topics-" + source + "-" + follower;
    }

    /** Makes the producer, fencing an earlier one of this follower and aborting its open transaction. */
    void connect() {
        if (producer != null) {
            return;
        }
        Map<String, Object> p = new HashMap<>(config.kafka());
        p.put("transactional.id", transactionalId(config.sourceId(), config.followerName()));
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.putIfAbsent("linger.ms", "5");
        // A group of a huge source transaction may stay open for minutes; the broker's default
        // upper bound (transaction.max.timeout.ms) is 15 minutes.
        p.putIfAbsent("transaction.timeout.ms", String.valueOf(15 * 60 * 1000));
        p.putIfAbsent("batch.size", String.valueOf(256 * 1024));
        p.putIfAbsent("max.request.size", String.valueOf(ChangeTopicRecords.MAX_RECORD_BYTES));
        p.putIfAbsent("client.id", "sluice-topics-" + config.followerName());
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            created.initTransactions();
        } catch (RuntimeException e) {
            created.close(Duration.ZERO);
            throw failure(config, "cannot start the follower's producer", e);
        }
        producer = created;
    }

    boolean connected() {
        return producer != null;
    }

    /** Begins a Kafka transaction unless one is open. */
    void begin() {
        if (!inTransaction) {
            try {
                producer.beginTransaction();
            } catch (KafkaException e) {
                throw failure(config, "cannot begin a Kafka transaction", e);
            }
            inTransaction = true;
        }
    }

    /** Sends a record in the open transaction; a failed send fails the transaction's commit. */
    void send(ProducerRecord<byte[], byte[]> r) {
        try {
            producer.send(r);
        } catch (KafkaException e) {
            throw failure(config, "cannot send to " + r.topic(), e);
        }
    }

    /** Waits until every record sent is on the broker. */
    void flush() {
        producer.flush();
    }

    /** Commits the open transaction with the applier group's offset on the stream; {@code upTo} names it in errors. */
    void commit(OffsetAndMetadata offset, Lsn upTo) {
        try {
            producer.sendOffsetsToTransaction(Map.of(stream, offset), new ConsumerGroupMetadata(group));
            producer.commitTransaction();
        } catch (KafkaException e) {
            throw failure(config, "cannot commit the Kafka transaction of source transactions up to " + upTo, e);
        }
        inTransaction = false;
    }

    void rollback() {
        if (inTransaction) {
            inTransaction = false;
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                close(); // an unusable producer: the next connect makes a new one, fencing nothing but itself
                throw failure(config, "cannot abort the Kafka transaction", e);
            }
        }
    }

    /** Aborts the open transaction, if any, and closes the producer. */
    void disconnect() {
        try {
            rollback();
        } catch (ApplierException e) {
            log.debug("follower {}: {}", config.followerName(), e.getMessage());
        }
        close();
    }

    private void close() {
        KafkaProducer<byte[], byte[]> p = producer;
        producer = null;
        inTransaction = false;
        if (p != null) {
            try {
                p.close(Duration.ofSeconds(5));
            } catch (RuntimeException ignored) {
                // closing after a failure
            }
        }
    }

    /** A Kafka failure as the applier's: fenced means another applier took over; a retriable one is retried. */
    static ApplierException failure(ApplierConfig config, String what, Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        // A newer producer of the same transactional id shows as fenced, or — when the broker has
        // already bumped the epoch under an open transaction — as a produce with an old epoch.
        if (cause instanceof ProducerFencedException || cause instanceof InvalidProducerEpochException) {
            return new ApplierException("follower " + config.followerName() + ": another applier of this follower started"
                    + " (its producer, transactional id " + transactionalId(config.sourceId(), config.followerName())
                    + ", fenced this one); this applier's open transaction is aborted and it stops", false, cause);
        }
        boolean retriable = cause instanceof RetriableException || cause instanceof java.util.concurrent.TimeoutException
                || cause instanceof org.apache.kafka.common.errors.TimeoutException;
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        // A producer in its error state says only that; what put it there is the first failure, its cause.
        return new ApplierException("follower " + config.followerName() + ": " + what + ": " + cause
                + (root == cause ? "" : " (" + root + ")"), retriable, cause);
    }
}
