package io.sluice.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedServersIT {

    @TempDir
    static Path dir;
    static LocalPostgres primary;
    static LocalPostgres follower;
    static LocalKafka kafka;

    @BeforeAll
    static void start() {
        primary = LocalPostgres.start("primary", dir);
        follower = LocalPostgres.start("follower", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (follower != null) {
            follower.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void primaryRunsWithLogicalWalAndTakesAPgoutputSlot() throws Exception {
        try (Connection c = primary.connect(); Statement st = c.createStatement()) {
            assertThat(scalar(st, "SHOW wal_level")).isEqualTo("logical");
            st.execute("CREATE TABLE t (id int primary key, v text)");
            st.execute("CREATE PUBLICATION it_pub FOR TABLE t");
            st.execute("SELECT pg_create_logical_replication_slot('it_slot', 'pgoutput')");
            assertThat(scalar(st, "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'it_slot'")).isEqualTo("pgoutput");
            st.execute("SELECT pg_drop_replication_slot('it_slot')");
            assertThat(scalar(st, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'it_slot'")).isEqualTo("0");
        }
    }

    @Test
    void serversAreSeparateInstances() throws Exception {
        assertThat(primary.port()).isNotEqualTo(follower.port());
        try (Connection p = primary.connect(); Statement ps = p.createStatement();
             Connection f = follower.connect(); Statement fs = f.createStatement()) {
            ps.execute("CREATE TABLE only_on_primary (id int)");
            assertThat(scalar(fs, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_on_primary'")).isEqualTo("0");
            assertThat(scalar(fs, "SHOW wal_level")).isEqualTo("logical");
        }
    }

    @Test
    void recordRoundTripsThroughKafka() throws Exception {
        String topic = "embedded-it";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Properties pp = new Properties();
        pp.put("bootstrap.servers", kafka.bootstrapServers());
        pp.put("enable.idempotence", "true");
        pp.put("acks", "all");
        RecordMetadata sent;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
            sent = producer.send(new ProducerRecord<>(topic, "k", "hello sluice")).get(30, TimeUnit.SECONDS);
        }
        Properties cp = new Properties();
        cp.put("bootstrap.servers", kafka.bootstrapServers());
        cp.put("group.id", "embedded-it");
        cp.put("auto.offset.reset", "earliest");
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Await.until(Duration.ofSeconds(60), () -> "the produced record to be consumed, got " + got, () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(got::add);
                return !got.isEmpty();
            });
        }
        assertThat(got).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("k");
            assertThat(r.value()).isEqualTo("hello sluice");
            assertThat(r.offset()).isEqualTo(sent.offset());
        });
    }

    private static String scalar(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as("a row from %s", sql).isTrue();
            return rs.getString(1);
        }
    }
}
