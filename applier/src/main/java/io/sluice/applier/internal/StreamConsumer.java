package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.format.TopicNames;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The applier's read of its stream: one Kafka consumer assigned the stream's partition (no group
 * rebalancing: the store's watermark, not Kafka, says where to read from), whose committed offset
 * is only a hint for the lag monitor, written at most once a second.
 *
 * <p>Not thread-safe, except {@link #wakeup}: the applier's stream thread.
 */
public final class StreamConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);
    private static final long HINT_INTERVAL_NANOS = 1_000_000_000L;

    private final TopicPartition partition;
    private final FutureTask<KafkaConsumer<byte[], ByteBuffer>> creating;
    private final int maxPollRecords;
    private final boolean hints;
    private volatile KafkaConsumer<byte[], ByteBuffer> consumer;
    private long hinted = -1;
    private long hintedAt = System.nanoTime();

    /**
     * Starts creating the consumer on a thread of its own: a process's first Kafka consumer loads
     * and runs much code for the first time, which can overlap the store's start.
     */
    /** {@code hints}: whether {@link #hint} commits at all (not where the store commits the group's offset itself). */
    public StreamConsumer(ApplierConfig config, TopicPartition partition, boolean hints) {
        this.partition = partition;
        this.hints = hints;
        Map<String, Object> p = properties(config);
        this.maxPollRecords = Integer.parseInt(p.get("max.poll.records").toString());
        this.creating = new FutureTask<>(() -> {
            // Values as slices of the fetched batch: decoded in place, never copied into a byte[] of their own.
            KafkaConsumer<byte[], ByteBuffer> c = new KafkaConsumer<>(p,
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteBufferDeserializer());
            c.assign(List.of(partition));
            return c;
        });
        new Thread(creating, "sluice-applier-" + config.followerName() + "-start").start();
    }

    private static Map<String, Object> properties(ApplierConfig config) {
        Map<String, Object> p = new HashMap<>(config.kafka());
        p.put("group.id", TopicNames.applierGroup(config.sourceId(), config.followerName()));
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "none");
        p.putIfAbsent("max.poll.records", "5000");
        // The broker answers a waiting fetch as soon as a record is appended, so the wait adds no
        // latency; it bounds how often an idle applier fetches (the broker's idle CPU) and how long
        // a seek waits for the fetch in flight. As long as a poll's own timeout.
        p.putIfAbsent("fetch.max.wait.ms", "100");
        p.putIfAbsent("max.partition.fetch.bytes", String.valueOf(16 * 1024 * 1024));
        p.putIfAbsent("fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
        p.putIfAbsent("client.id", "sluice-applier-" + config.followerName());
        return p;
    }

    /** Waits until the consumer exists. */
    public void await() {
        if (consumer != null) {
            return;
        }
        try {
            consumer = creating.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the Kafka consumer was being created", e);
        }
    }

    public ConsumerRecords<byte[], ByteBuffer> poll(Duration timeout) {
        return consumer.poll(timeout);
    }

    /** Reads next from {@code offset}; from the beginning when it is negative. */
    public void seek(long offset) {
        if (offset < 0) {
            consumer.seekToBeginning(List.of(partition));
        } else {
            consumer.seek(partition, offset);
        }
    }

    /**
     * Whether more waits on the stream after a poll of {@code polledRecords}: by the lag the last
     * fetch reported, or a full poll when it reported none.
     */
    public boolean moreWaiting(int polledRecords) {
        OptionalLong lag = consumer.currentLag(partition);
        return lag.isPresent() ? lag.getAsLong() > 0 : polledRecords >= maxPollRecords;
    }

    /**
     * Commits {@code next} as the consumed-offset hint, at most once a second: each commit is a
     * write to the broker's offsets topic, and the monitor reads the applied position from the
     * watermark anyway (or, for a store it cannot read, from {@code metadata}: {@link FollowerStore#streamOffsetMetadata},
     * whose hints are at its watermark, so a new watermark always comes with a further offset).
     * Only a hint: restarts seek to the watermark.
     */
    public void hint(long next, String metadata) {
        if (!hints) {
            return;
        }
        long now = System.nanoTime();
        if (next > hinted && now - hintedAt > HINT_INTERVAL_NANOS) {
            consumer.commitAsync(Map.of(partition, new OffsetAndMetadata(next, metadata)), (offsets, e) -> {
                if (e != null) { // the next commit retries
                    log.debug("committing the consumed offset {} failed: {}", offsets, e.toString());
                }
            });
            hinted = next;
            hintedAt = now;
        }
    }

    /** Where the consumer reads next. */
    public long position() {
        return consumer.position(partition);
    }

    /** Wakes a poll in progress (it throws {@code WakeupException}); any thread. */
    public void wakeup() {
        if (consumer != null) {
            consumer.wakeup();
        }
    }

    /** Closes the consumer, waiting for it to exist first. Quietly: it closes after failures too. */
    @Override
    public void close() {
        try {
            await();
            consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException ignored) {
            // closing after a failure
        }
    }
}
