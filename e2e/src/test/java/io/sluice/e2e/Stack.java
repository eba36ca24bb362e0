package io.sluice.e2e;

import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Embedded servers and configurations shared by the end-to-end tests of one class. */
final class Stack implements AutoCloseable {

    final Path dir;
    final LocalPostgres primary;
    final LocalKafka kafka;
    final List<LocalPostgres> followers = new ArrayList<>();

    Stack(Path dir, int followerCount) {
        this(dir, LocalPostgres.start("primary", dir), followerCount);
    }

    /** Around a primary of the test's own (another PostgreSQL, say). */
    Stack(Path dir, LocalPostgres primary, int followerCount) {
        this.dir = dir;
        this.primary = primary;
        this.kafka = LocalKafka.start(dir.resolve("kafka"));
        for (int i = 0; i < followerCount; i++) {
            followers.add(LocalPostgres.start("follower" + i, dir));
        }
    }

    static Properties superuser() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }

    CaptureConfig capture(String source, List<String> tables, boolean snapshot) {
        return new CaptureConfig(source, primary.jdbcUrl(), superuser(), Map.of("bootstrap.servers", kafka.bootstrapServers()),
                "slot_" + source, "pub_" + source, tables, Duration.ofMillis(500), Duration.ofMillis(5), snapshot,
                dir.resolve("capture-" + source), Map.of());
    }

    ApplierConfig applier(String source, int follower) {
        return ApplierConfig.of(source, "f" + follower, followers.get(follower).jdbcUrl(), superuser(),
                Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }


    /**
     * The watermark an applier published as its group's committed offset metadata (change topics;
     * a DuckDB follower's offset hint), read as a {@code read_committed} consumer would.
     */
    java.util.Optional<io.sluice.format.AppliedOffset> appliedOffset(String source, String follower) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            org.apache.kafka.clients.consumer.OffsetAndMetadata om = admin.listConsumerGroupOffsets(
                    io.sluice.format.TopicNames.applierGroup(source, follower),
                    new org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions().requireStable(true))
                    .partitionsToOffsetAndMetadata().get()
                    .get(new org.apache.kafka.common.TopicPartition(io.sluice.format.TopicNames.stream(source), 0));
            return om == null || !io.sluice.format.AppliedOffset.is(om.metadata()) ? java.util.Optional.empty()
                    : java.util.Optional.of(io.sluice.format.AppliedOffset.parse(om.metadata()));
        }
    }

    /** Every event on a source's stream, from its beginning to its end now, as a consumer decodes them. */
    static List<io.sluice.format.ChangeEvent> streamEvents(String bootstrapServers, String source) {
        Map<String, Object> p = new java.util.HashMap<>();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("enable.auto.commit", "false");
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(io.sluice.format.TopicNames.stream(source), 0);
        List<io.sluice.format.ChangeEvent> events = new ArrayList<>();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            io.sluice.format.RecordJoiner joiner = new io.sluice.format.RecordJoiner();
            while (c.position(tp) < end) {
                for (org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    io.sluice.format.RecordJoiner.Joined payload = joiner.offer(r.offset(), r.value());
                    if (payload != null) {
                        events.addAll(payload.events());
                    }
                }
            }
        }
        return events;
    }

    /** A spawned process's log, for a failure message. */
    static String log(Path log) {
        try {
            return java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "(none)";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String abbreviate(String row) {
        return row.length() <= 400 ? row : row.substring(0, 400) + "…";
    }

    /** Waits until the follower's table holds exactly the primary's rows. */
    void awaitEqual(int follower, String table, Duration timeout) {
        Await.until(timeout, () -> {
            try {
                List<String> p = primary.rowsAsText(table);
                List<String> f = followers.get(follower).rowsAsText(table);
                String differs = "";
                for (int i = 0; i < Math.min(p.size(), f.size()); i++) {
                    if (!p.get(i).equals(f.get(i))) {
                        differs = "; first differing row: primary " + abbreviate(p.get(i)) + " follower " + abbreviate(f.get(i));
                        break;
                    }
                }
                return "follower " + follower + " to equal the primary on " + table + " (primary " + p.size()
                        + " rows, follower " + f.size() + differs + ")";
            } catch (SQLException e) {
                return "follower " + follower + " to equal the primary on " + table + " (" + e.getMessage() + ")";
            }
        }, () -> primary.rowsAsText(table).equals(followers.get(follower).rowsAsText(table)));
    }



    @Override
    public void close() {
        followers.forEach(LocalPostgres::close);
        kafka.close();
        primary.close();
    }
}
