package io.sluice.capture.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One ordered stream of records through two idempotent producers: one that sends each record at
 * once ({@code linger.ms} 0), for a capture that keeps up, and one whose records linger for their
 * batch to fill, for a capture far behind (one produce request per batch instead of one per
 * transaction). A producer's linger is fixed when it is made, and the only way to cut it short,
 * {@code flush()}, blocks until Kafka acknowledges; two producers let a caught-up record go to the
 * sender thread straight away. Switching waits until the producer switched from has everything
 * acknowledged, so the records stay in the order they were sent. {@link #send} and
 * {@link #gatherWhile} are serialised by the owner ({@link StreamWriter}); {@link #flush} may come
 * from any thread.
 */
final class PacedProducer implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> immediate;
    private final KafkaProducer<byte[], byte[]> lingering;
    private volatile boolean gathering;

    /** {@code properties}: the producers' (the lingering one's {@code linger.ms} among them); {@code clientId} names both. */
    PacedProducer(Map<String, Object> properties, String clientId) {
        Map<String, Object> now = new HashMap<>(properties);
        now.put("linger.ms", "0");
        now.put("client.id", clientId);
        Map<String, Object> later = new HashMap<>(properties);
        later.put("client.id", clientId + "-gathering");
        this.immediate = new KafkaProducer<>(now, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            this.lingering = new KafkaProducer<>(later, new ByteArraySerializer(), new ByteArraySerializer());
        } catch (RuntimeException e) {
            immediate.close(Duration.ZERO);
            throw e;
        }
    }

    void send(ProducerRecord<byte[], byte[]> record, Callback acked) {
        (gathering ? lingering : immediate).send(record, acked);
    }

    /**
     * Whether records linger from now on; a change waits until everything sent the other way is
     * acknowledged (or failed: its callback reports it).
     */
    void gatherWhile(boolean behind) {
        if (behind != gathering) {
            (gathering ? lingering : immediate).flush();
            gathering = behind;
        }
    }

    /** Blocks until everything sent, either way, is acknowledged or failed. */
    void flush() {
        lingering.flush();
        immediate.flush();
    }

    void close(Duration timeout) {
        try {
            immediate.close(timeout);
        } finally {
            lingering.close(timeout);
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
