package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.LocalKafka;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Fragments;
import io.sluice.format.Lsn;
import io.sluice.format.RunEncoder;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where capture resumes when the stream ends in payloads written as fragments: a whole one counts,
 * however many of its records lie before the window the tail is read in; one cut short does not.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamTailIT {

    /** Small records, so that a payload of some tens of kilobytes is more fragments than the tail's first window. */
    private static final int RECORD_BYTES = 100;

    @TempDir
    static Path dir;
    static LocalKafka kafka;

    @BeforeAll
    static void start() {
        kafka = LocalKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aFragmentedLastFrameLongerThanTheFirstWindowIsWhereTheStreamEnds() throws Exception {
        List<byte[]> records = new ArrayList<>(Fragments.split(frame(0x100, 10), RECORD_BYTES));
        List<byte[]> last = Fragments.split(frame(0x200, 60_000), RECORD_BYTES);
        assertThat(last.size()).as("fragments of the last frame").isGreaterThan(600);
        records.addAll(last);
        write("tail_whole", records);

        assertThat(read("tail_whole")).contains(new Lsn(0x200));
    }

    @Test
    void aFragmentedFrameCutShortAtTheEndDoesNotCount() throws Exception {
        List<byte[]> records = new ArrayList<>(Fragments.split(frame(0x100, 10), RECORD_BYTES));
        List<byte[]> cut = Fragments.split(frame(0x200, 60_000), RECORD_BYTES);
        records.addAll(cut.subList(0, cut.size() - 1));
        write("tail_cut", records);

        assertThat(read("tail_cut")).contains(new Lsn(0x100));
    }

    private static Optional<Lsn> read(String topic) {
        return StreamTail.read(topic, Map.of("bootstrap.servers", kafka.bootstrapServers()), Duration.ofSeconds(60), 0);
    }

    /** One transaction's frame as one run: BEGIN, an insert holding {@code characters} of text, COMMIT. */
    private static byte[] frame(long commitLsn, int characters) {
        EventHeader h = new EventHeader("tail", new Lsn(commitLsn), commitLsn, Instant.parse("2026-12-07T00:00:00Z"), 0);
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Int(commitLsn));
        row.put("v", new Value.Text("x".repeat(characters)));
        RunEncoder run = new RunEncoder();
        run.add(new ChangeEvent.Begin(h));
        run.add(new ChangeEvent.Insert(h.withSeq(1), new TableId("public", "t"), List.of("id"), row));
        run.add(new ChangeEvent.Commit(h.withSeq(2), 1));
        return run.finish();
    }

    private static void write(String topic, List<byte[]> records) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "enable.idempotence", "true", "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] r : records) {
                producer.send(new ProducerRecord<>(topic, r));
            }
            producer.flush();
        }
    }
}
