package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.RecordJoiner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where the stream says capture got to: the highest LSN of a whole transaction (its COMMIT), a
 * heartbeat or a standalone message on the stream. Capture resumes from here, not from any local
 * file, so a capture on a new machine, or one whose slot another capture advanced, continues
 * without loss or gap. A frame cut short at the end of the stream (BEGIN and rows, no COMMIT)
 * does not count: it is captured again.
 *
 * <p>Only events of capture's own epoch count (FORMAT.md, "Epochs"): after a promotion, the old
 * primary's history and anything a capture of it still wrote have positions of another server.
 *
 * <p>Reads backwards from the end in growing windows until one holds such an event; a stream
 * with none has no position.
 */
public final class StreamTail {

    private static final int FIRST_WINDOW = 512;

    private StreamTail() {
    }

    /**
     * The stream's position, or empty when the stream holds no whole transaction or heartbeat.
     *
     * @throws CaptureException FATAL when the stream cannot be read within {@code timeout}, or
     *                          holds an event capture cannot decode
     */
    public static Optional<Lsn> read(String topic, Map<String, Object> kafka, Duration timeout, long epoch) {
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-capture-tail");
        p.put("max.poll.records", "2000");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            long begin = c.beginningOffsets(List.of(tp), timeout).get(tp);
            long end = c.endOffsets(List.of(tp), timeout).get(tp);
            long upper = end;
            long window = FIRST_WINDOW;
            while (upper > begin) {
                long from = Math.max(begin, upper - window);
                Optional<Lsn> found = scan(c, tp, from, upper, end, timeout, epoch);
                if (found.isPresent()) {
                    return found;
                }
                upper = from;
                window *= 4;
            }
            return Optional.empty();
        } catch (KafkaException e) {
            throw new CaptureException(Kind.FATAL, "cannot read where the stream " + topic + " ends: " + e.getMessage(), e);
        }
    }

    /**
     * The highest position in offsets [from, upper), reading on past {@code upper} (up to {@code end})
     * to finish a payload whose fragments reach beyond it; fragments of one that began before
     * {@code from} are left to the window before.
     */
    private static Optional<Lsn> scan(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long from, long upper, long end,
                                      Duration timeout, long epoch) {
        c.seek(tp, from);
        RecordJoiner joiner = new RecordJoiner();
        Lsn best = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (c.position(tp) < upper || joiner.pending() && c.position(tp) < end) {
            if (System.nanoTime() > deadline) {
                throw new CaptureException(Kind.FATAL, "reading " + tp + " from offset " + from + " to " + upper
                        + " took longer than " + timeout.toMillis() + " ms");
            }
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200)).records(tp)) {
                if (r.offset() >= upper && !joiner.pending()) {
                    break;
                }
                RecordJoiner.Joined payload;
                try {
                    payload = joiner.offer(r.offset(), r.value());
                } catch (FormatException ex) {
                    throw new CaptureException(Kind.FATAL, "the stream holds an event capture cannot read at " + r.topic() + "-"
                            + r.partition() + "@" + r.offset() + ": " + ex.getMessage(), ex);
                }
                Lsn lsn = payload == null ? null : position(payload.events(), epoch);
                if (lsn != null && (best == null || lsn.compareTo(best) > 0)) {
                    best = lsn;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static Lsn position(List<ChangeEvent> run, long epoch) {
        ChangeEvent e = run.get(run.size() - 1); // only a run's last event can end a frame or stand alone
        if (e.header().epoch() != epoch) {
            return null;
        }
        if (e instanceof ChangeEvent.Commit || e instanceof ChangeEvent.Heartbeat
                || e instanceof ChangeEvent.Message m && !m.transactional()) {
            return e.header().commitLsn();
        }
        return null;
    }
}
