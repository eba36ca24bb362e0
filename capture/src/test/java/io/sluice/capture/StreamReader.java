package io.sluice.capture;

import io.sluice.embedded.Await;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Fragments;
import io.sluice.format.RecordJoiner;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a source's stream from the beginning, decoding every event (test helper). */
final class StreamReader implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    final List<ChangeEvent> events = new ArrayList<>();
    final List<Long> offsets = new ArrayList<>();
    private final RecordJoiner joiner = new RecordJoiner();
    /** The longest record read, in bytes, and how many records were fragments of a longer payload. */
    int largestRecord;
    int fragments;

    StreamReader(String bootstrap, String source) {
        consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", "false"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(TopicNames.stream(source), 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
    }

    /** Polls until {@code done} holds for the events read so far. */
    List<ChangeEvent> until(Duration timeout, String what, Predicate<List<ChangeEvent>> done) {
        Await.until(timeout, () -> what + " (read " + events.size() + " events)", () -> {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                largestRecord = Math.max(largestRecord, r.value().length);
                fragments += Fragments.isFragment(r.value(), 0, r.value().length) ? 1 : 0;
                RecordJoiner.Joined payload = joiner.offer(r.offset(), r.value());
                for (int i = 0; payload != null && i < payload.events().size(); i++) {
                    events.add(payload.events().get(i));
                    offsets.add(payload.offsetOf(i));
                }
            }
            return done.test(events);
        });
        return events;
    }

    /** Complete frames (BEGIN … COMMIT) in stream order; partial frames are dropped as consumers must. */
    static List<List<ChangeEvent>> frames(List<ChangeEvent> events) {
        List<List<ChangeEvent>> frames = new ArrayList<>();
        List<ChangeEvent> open = null;
        for (ChangeEvent e : events) {
            if (e instanceof ChangeEvent.Begin) {
                open = new ArrayList<>();
                open.add(e);
            } else if (e instanceof ChangeEvent.Heartbeat || (e instanceof ChangeEvent.Message m && !m.transactional())) {
                open = null;
            } else if (open != null) {
                open.add(e);
                if (e instanceof ChangeEvent.Commit) {
                    frames.add(open);
                    open = null;
                }
            }
        }
        return frames;
    }

    /** The inserts among {@code events}, a copy event's rows each as the insert it means. */
    static List<ChangeEvent.Insert> inserts(List<ChangeEvent> events) {
        List<ChangeEvent.Insert> out = new ArrayList<>();
        for (ChangeEvent e : events) {
            if (e instanceof ChangeEvent.Insert i) {
                out.add(i);
            } else if (e instanceof io.sluice.format.CopyEvent c) {
                out.addAll(c.inserts());
            }
        }
        return out;
    }

    /** Rows inserted by {@code events} (a copy event counts its rows), without parsing copies. */
    static long insertedRows(List<ChangeEvent> events) {
        long n = 0;
        for (ChangeEvent e : events) {
            n += e instanceof ChangeEvent.Insert ? 1 : e instanceof io.sluice.format.CopyEvent c ? c.rows() : 0;
        }
        return n;
    }

    static long committedFrames(List<ChangeEvent> events) {
        return events.stream().filter(e -> e instanceof ChangeEvent.Commit).count();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
