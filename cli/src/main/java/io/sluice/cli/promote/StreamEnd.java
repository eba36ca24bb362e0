package io.sluice.cli.promote;

import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.RecordJoiner;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The commit time of the last transaction at the end of a stream: how far a follower is behind it. */
final class StreamEnd {

    /** Records read back from the end; a promotion's lag check needs the last transaction, not an exact scan. */
    private static final int WINDOW = 256;

    private StreamEnd() {
    }

    /** The newest commit time among the last records' COMMITs of {@code epoch}, if any. */
    static Optional<Instant> lastCommitTime(String source, Map<String, Object> kafka, long epoch, Duration timeout) {
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-promote-tail");
        TopicPartition tp = new TopicPartition(TopicNames.stream(source), 0);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            long end = c.endOffsets(List.of(tp), timeout).get(tp);
            long begin = c.beginningOffsets(List.of(tp), timeout).get(tp);
            c.seek(tp, Math.max(begin, end - WINDOW));
            Instant newest = null;
            RecordJoiner joiner = new RecordJoiner();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    RecordJoiner.Joined payload;
                    try {
                        payload = joiner.offer(r.offset(), r.value());
                    } catch (FormatException e) {
                        continue; // the appliers stop on it; here it only cannot count
                    }
                    if (payload == null) {
                        continue; // a fragment of a longer payload
                    }
                    List<ChangeEvent> run = payload.events();
                    ChangeEvent last = run.get(run.size() - 1);
                    if (last instanceof ChangeEvent.Commit && last.header().epoch() == epoch
                            && (newest == null || last.header().commitTime().isAfter(newest))) {
                        newest = last.header().commitTime();
                    }
                }
            }
            return Optional.ofNullable(newest);
        }
    }
}
