package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two producers, one stream: records sent at once and records that lingered arrive in the order they were sent. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PacedProducerIT {

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
    void recordsStayInSendOrderAcrossEverySwitchOfPace() throws Exception {
        String topic = "paced";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        int n = 3000;
        AtomicReference<Exception> failed = new AtomicReference<>();
        try (PacedProducer producer = new PacedProducer(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "enable.idempotence", "true", "acks", "all", "linger.ms", "50"), "paced-test")) {
            for (int i = 0; i < n; i++) {
                if (i % 100 == 0) {
                    producer.gatherWhile((i / 100) % 2 == 1); // a switch every 100 records, lingering every other run
                }
                producer.send(new ProducerRecord<>(topic, ByteBuffer.allocate(4).putInt(i).array()), (md, e) -> {
                    if (e != null) {
                        failed.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        assertThat(failed.get()).as("every record acknowledged").isNull();
        List<Integer> read = new ArrayList<>();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Await.until(Duration.ofSeconds(60), () -> "all " + n + " records read back (read " + read.size() + ")", () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(ByteBuffer.wrap(r.value()).getInt());
                }
                return read.size() >= n;
            });
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(i);
        }
        assertThat(read).as("each record once, in the order sent").isEqualTo(expected);
    }
}
