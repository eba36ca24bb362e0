package io.sluice.capture;

import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.BoundedReads;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.FormatException;
import io.sluice.format.RecordJoiner;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
import io.sluice.format.Value;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The transactions a capture of a replaced primary wrote onto the stream after a promotion's
 * marker: every applier refused them (an older epoch), so they are lost writes of that primary
 * like those it never sent — and its slot no longer holds them, since that capture confirmed them
 * once Kafka had them. Read from the stream, whole frames only.
 */
public final class RefusedFrames {

    private RefusedFrames() {
    }

    /** Whole frames of an epoch older than {@code marker}'s at or after its offset, in stream order. */
    public static List<LostWrites.Transaction> after(EpochMarker marker, String source, Map<String, Object> kafka,
                                                     Duration timeout) {
        if (marker.markerOffset() < 0) {
            return List.of();
        }
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-rejoin-" + source);
        TopicPartition tp = new TopicPartition(TopicNames.stream(source), 0);
        List<LostWrites.Transaction> refused = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seek(tp, marker.markerOffset());
            long end = c.endOffsets(List.of(tp), timeout).get(tp);
            long deadline = System.nanoTime() + timeout.toNanos();
            ChangeEvent.Begin begin = null;
            List<LostWrites.Change> changes = new ArrayList<>();
            RecordJoiner joiner = new RecordJoiner();
            while (c.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new CaptureException(Kind.FATAL, "reading " + tp + " from the epoch " + marker.epoch() + " marker took"
                            + " longer than " + timeout.toMillis() + " ms");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    RecordJoiner.Joined payload;
                    try {
                        payload = joiner.offer(r.offset(), r.value());
                    } catch (FormatException e) {
                        throw new CaptureException(Kind.FATAL, "the stream holds an event that cannot be read at " + tp + "@"
                                + r.offset() + ": " + e.getMessage(), e);
                    }
                    if (payload == null) {
                        continue; // a fragment of a longer payload
                    }
                    List<ChangeEvent> run = payload.events();
                    if (run.get(0).header().epoch() >= marker.epoch()) {
                        continue;
                    }
                    for (ChangeEvent e : run) {
                        if (e instanceof ChangeEvent.Begin b) {
                            begin = b;
                            changes = new ArrayList<>();
                        } else if (e instanceof ChangeEvent.Commit commit && begin != null) {
                            if (!changes.isEmpty()) {
                                refused.add(new LostWrites.Transaction(begin.header().xid(), commit.header().commitTime(),
                                        commit.header().commitLsn(), changes));
                            }
                            begin = null;
                        } else if (begin != null) {
                            change(e, changes);
                        }
                    }
                }
            }
        } catch (KafkaException e) {
            throw new CaptureException(Kind.FATAL, "cannot read the stream " + tp + ": " + e.getMessage(), e);
        }
        return refused;
    }

    private static void change(ChangeEvent e, List<LostWrites.Change> changes) {
        if (e instanceof ChangeEvent.Insert i) {
            changes.add(new LostWrites.Change(name(i.table()), "insert", key(i.key(), i.after())));
        } else if (e instanceof ChangeEvent.Update u) {
            changes.add(new LostWrites.Change(name(u.table()), "update", key(u.key(), u.before().isEmpty() ? u.after() : u.before())));
        } else if (e instanceof ChangeEvent.Delete d) {
            changes.add(new LostWrites.Change(name(d.table()), "delete", key(d.key(), d.before())));
        } else if (e instanceof ChangeEvent.Truncate t) {
            t.tables().forEach(table -> changes.add(new LostWrites.Change(name(table), "truncate", "")));
        } else if (e instanceof CopyEvent copy) {
            copy.inserts().forEach(i -> change(i, changes));
        }
    }

    private static String name(TableId t) {
        return t.schema() + "." + t.table();
    }

    /** The key as {@code a=1, b=x}, each value as PostgreSQL's text: as {@link LostWrites} prints it from the slot. */
    private static String key(List<String> key, Map<String, Value> row) {
        StringBuilder b = new StringBuilder();
        for (String column : key) {
            Value v = row.get(column);
            b.append(b.length() == 0 ? "" : ", ").append(column).append('=').append(v == null ? "" : SqlText.of(v));
        }
        return b.toString();
    }
}
