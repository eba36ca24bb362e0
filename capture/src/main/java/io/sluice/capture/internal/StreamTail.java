package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.RecordJoiner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
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
 * with none has no position. The same reading back finds capture's last definitions message
 * ({@code DefinitionsReadBack}).
 */
public final class StreamTail {

    private static final int FIRST_WINDOW = 512;

    private StreamTail() {
    }

    /** A payload of the stream: the offset of its first record, and its events. */
    public record Payload(long offset, List<ChangeEvent> events) { }

    /**
     * The stream's position, or empty when the stream holds no whole transaction or heartbeat.
     *
     * @throws CaptureException FATAL when the stream cannot be read within {@code timeout}, or
     *                          holds an event capture cannot decode
     */
    public static Optional<Lsn> read(String topic, Map<String, Object> kafka, Duration timeout, long epoch) {
        return withConsumer(topic, kafka, "sluice-capture-tail", (c, tp) -> last(c, tp, run -> position(run, epoch) != null,
                Long.MAX_VALUE, timeout).stream().map(p -> position(p.events(), epoch)).max(Lsn::compareTo));
    }

    /** What {@code read} gives a consumer assigned to the stream's partition. */
    public interface Reading<T> {
        T read(KafkaConsumer<byte[], byte[]> c, TopicPartition tp);
    }

    /**
     * Runs {@code reading} with a consumer of the stream's partition.
     *
     * @throws CaptureException FATAL when Kafka fails the reading
     */
    public static <T> T withConsumer(String topic, Map<String, Object> kafka, String clientId, Reading<T> reading) {
        Map<String, Object> p = BoundedReads.consumer(kafka, clientId);
        p.put("max.poll.records", "2000");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            return reading.read(c, tp);
        } catch (KafkaException e) {
            throw new CaptureException(Kind.FATAL, "cannot read the stream " + topic + ": " + e.getMessage(), e);
        }
    }

    /**
     * The payloads {@code wanted} accepts in the last stretch of the stream that holds any: read back from the end in
     * growing windows, at most {@code limit} records back; empty when none holds one.
     */
    public static List<Payload> last(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, Predicate<List<ChangeEvent>> wanted,
                                     long limit, Duration timeout) {
        long begin = c.beginningOffsets(List.of(tp), timeout).get(tp);
        long end = c.endOffsets(List.of(tp), timeout).get(tp);
        long floor = end - begin > limit ? end - limit : begin;
        long upper = end;
        long window = FIRST_WINDOW;
        while (upper > floor) {
            long from = Math.max(floor, upper - window);
            List<Payload> found = new ArrayList<>();
            scan(c, tp, from, upper, end, timeout, p -> {
                if (wanted.test(p.events())) {
                    found.add(p);
                }
            });
            if (!found.isEmpty()) {
                return found;
            }
            upper = from;
            window *= 4;
        }
        return List.of();
    }

    /** Hands each payload from offset {@code from} to the stream's end, as it is now, to {@code each}, in order. */
    public static void forward(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long from, Duration timeout,
                               Consumer<Payload> each) {
        long end = c.endOffsets(List.of(tp), timeout).get(tp);
        scan(c, tp, from, end, end, timeout, each);
    }

    /**
     * Each payload in offsets [from, upper), reading on past {@code upper} (up to {@code end})
     * to finish a payload whose fragments reach beyond it; fragments of one that began before
     * {@code from} are left to the window before.
     */
    private static void scan(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long from, long upper, long end,
                             Duration timeout, Consumer<Payload> each) {
        c.seek(tp, from);
        RecordJoiner joiner = new RecordJoiner();
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
                if (payload != null) {
                    each.accept(new Payload(payload.firstOffset(), payload.events()));
                }
            }
        }
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
