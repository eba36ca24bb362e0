package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.verify.ChangeTopicVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import io.sluice.format.AppliedOffset;
import io.sluice.format.ChangeTopicRecords;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import io.sluice.monitor.Status;
import java.time.Clock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A follower of kind {@code topics} under crashes and a second applier: every row change exactly once. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ChangeTopicsIT {

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() {
        stack = new Stack(dir, 0);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * A workload inserts, updates (counting its updates in the row) and deletes while the applier,
     * a process of its own, is SIGKILLed four times: a {@code read_committed} consumer then finds
     * exactly one insert record per row ever inserted, exactly as many update records per key as
     * the row counts, one tombstone per deleted row, and the topic equal to the table.
     */
    @Test
    void anApplierKilledMidApplyLeavesEveryRowChangeInTheTopicExactlyOnce() throws Exception {
        stack.primary.execute("CREATE TABLE orders (id bigint PRIMARY KEY, updates int NOT NULL DEFAULT 0, note text)");
        try (CaptureService capture = new CaptureService(stack.capture("kt", List.of("public.orders"), true))) {
            capture.start();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<String> broken = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (Connection c = stack.primary.connect(); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    for (long t = 1; running.get(); t++) {
                        int rows = t % 40 == 0 ? 300 : 3; // now and then a larger transaction
                        for (int r = 0; r < rows; r++) {
                            st.execute("INSERT INTO orders (id, note) VALUES (" + (t * 1000 + r) + ", 'order " + t + "')");
                        }
                        st.execute("UPDATE orders SET updates = updates + 1 WHERE id = " + (t * 1000));
                        if (t > 2) {
                            st.execute("UPDATE orders SET updates = updates + 1, note = note || '!' WHERE id = " + ((t - 2) * 1000));
                            st.execute("DELETE FROM orders WHERE id = " + ((t - 2) * 1000 + 1));
                        }
                        c.commit();
                    }
                } catch (Exception e) {
                    broken.compareAndSet(null, "writer: " + e);
                }
            }, "orders");
            writer.start();
            try {
                for (int round = 0; round < 4; round++) {
                    Path log = dir.resolve("topics-applier-" + round + ".log");
                    long before = appliedTransactions();
                    Process p = ApplierProcess.spawn("kt", "feed", "unused:", stack.kafka.bootstrapServers(), 50,
                            ApplierConfig.Kind.TOPICS, log);
                    int n = round;
                    Await.until(Duration.ofSeconds(90), () -> "applier round " + n + " to commit something; log: " + Stack.log(log),
                            () -> appliedTransactions() > before + 20);
                    p.destroyForcibly(); // SIGKILL: between records, inside or between Kafka transactions
                    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                running.set(false);
                writer.join(30_000);
            }
            assertThat(broken.get()).isNull();
            Lsn end = Lsn.parse(stack.primary.queryScalar("SELECT pg_current_wal_lsn()::text"));
            stack.primary.execute("INSERT INTO orders (id, note) VALUES (-1, 'last')");
            Path log = dir.resolve("topics-applier-last.log");
            Process last = ApplierProcess.spawn("kt", "feed", "unused:", stack.kafka.bootstrapServers(), 50,
                    ApplierConfig.Kind.TOPICS, log);
            try {
                Await.until(Duration.ofSeconds(120), () -> "the last applier to apply the last transaction; log: " + Stack.log(log),
                        () -> watermark().map(w -> w.commitLsn().isAfter(end)).orElse(false));
            } finally {
                last.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        Verifier.Report report = new ChangeTopicVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()), kafka(),
                "kt", "feed", 0, Duration.ZERO).verify(List.of("public.orders"));
        assertThat(report.equal()).as("the topic equals the table: %s", report).isTrue();

        Map<String, Integer> inserts = new HashMap<>();
        Map<String, Integer> updates = new HashMap<>();
        Map<String, Integer> deletes = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readCommitted(TopicNames.changes("kt", "feed", new io.sluice.format.TableId("public", "orders")))) {
            String id = ChangeTopicRecords.parse(r.key()).get("id");
            String op = ChangeTopicRecords.text(r.headers().lastHeader(ChangeTopicRecords.OP).value());
            (op.equals("insert") ? inserts : op.equals("update") ? updates : deletes).merge(id, 1, Integer::sum);
        }
        long insertedOnPrimary = 0;
        try (Connection c = stack.primary.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, updates FROM orders")) {
            while (rs.next()) {
                insertedOnPrimary++;
                String id = rs.getString(1);
                assertThat(inserts.get(id)).as("insert records of order %s", id).isEqualTo(1);
                assertThat(updates.getOrDefault(id, 0)).as("update records of order %s", id).isEqualTo(rs.getInt(2));
            }
        }
        assertThat(inserts.values()).as("every insert once").allMatch(n -> n == 1);
        assertThat(deletes.values()).as("every delete once").allMatch(n -> n == 1);
        assertThat(inserts).hasSize((int) insertedOnPrimary + deletes.size());
        assertThat(deletes).isNotEmpty();
    }

    /** A second applier of the same follower fences the first, which stops saying so; the topic stays exact. */
    @Test
    void aSecondApplierOfTheSameFollowerFencesTheFirst() throws Exception {
        stack.primary.execute("CREATE TABLE fenced (id bigint PRIMARY KEY, v int)");
        ApplierConfig config = ApplierConfig.of("kf", "feed", "unused:", Stack.superuser(), kafka())
                .withKind(ApplierConfig.Kind.TOPICS);
        try (CaptureService capture = new CaptureService(stack.capture("kf", List.of("public.fenced"), true));
             StreamApplier first = new StreamApplier(config);
             StreamApplier second = new StreamApplier(config)) {
            capture.start();
            first.start();
            stack.primary.execute("INSERT INTO fenced SELECT g, 0 FROM generate_series(1, 100) g");
            Await.until(Duration.ofSeconds(60), () -> "the first applier to apply the rows",
                    () -> first.applied().isPresent() && first.applied().get().streamOffset() > 0);
            second.start();
            stack.primary.execute("UPDATE fenced SET v = 1");
            Await.until(Duration.ofSeconds(60), () -> "the first applier to stop (state " + first.state() + ")",
                    () -> first.state() == StreamApplier.State.FAILED);
            assertThat(first.failure().orElseThrow().getMessage()).contains("another applier of this follower started");
            stack.primary.execute("UPDATE fenced SET v = 2 WHERE id <= 10");
            ChangeTopicVerifier verifier = new ChangeTopicVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()),
                    kafka(), "kf", config.followerName(), 0, Duration.ZERO);
            AtomicReference<Verifier.Report> report = new AtomicReference<>();
            Await.until(Duration.ofSeconds(60), () -> "the topic to equal the table: " + report.get(), () -> {
                report.set(verifier.verify(List.of("public.fenced")));
                return report.get().equal();
            });
            assertThat(second.state()).isEqualTo(StreamApplier.State.RUNNING);

            // The lag monitor reads the follower's watermark from the group offset the applier committed.
            try (LagMonitor monitor = monitor("kf", "feed")) {
                Lsn applied = second.applied().orElseThrow().commitLsn();
                Status.Follower seen = monitor.evaluate().followers().get(0);
                assertThat(seen.watermarkLsn()).as("the monitor's watermark of a change-topics follower").isEqualTo(applied);
                assertThat(seen.consumedOffset()).isEqualTo(second.applied().orElseThrow().streamOffset() + 1);
                // /await on a change-topics follower: the token's transaction found on the stream, then the watermark past it.
                monitor.start();
                io.sluice.format.ConsistencyToken token = commitWithToken("kf", "UPDATE fenced SET v = 3 WHERE id = 1");
                assertThat(monitor.awaitPosition(token, "feed", Duration.ofSeconds(30))).as("the token's transaction applied").isTrue();
                assertThat(second.applied().orElseThrow().commitLsn().isAfter(token.lsnBound())).isTrue();
            }
        }
    }

    /**
     * A row of megabytes — more than Kafka's default record — crosses the stream in fragments
     * (FORMAT.md, "Fragments") and reaches its change topic as one record (change topics take records
     * up to {@link ChangeTopicRecords#MAX_RECORD_BYTES}); the lag monitor's {@code /await} finds its
     * transaction's token on the stream. Before, the follower's producer failed on it.
     */
    @Test
    void aRowOfMegabytesReachesItsChangeTopicAndTheMonitorFindsItsTransactionsToken() throws Exception {
        stack.primary.execute("CREATE TABLE docs (id bigint PRIMARY KEY, body text)", "INSERT INTO docs VALUES (0, 'small')");
        ApplierConfig config = ApplierConfig.of("kd", "papers", "unused:", Stack.superuser(), kafka())
                .withKind(ApplierConfig.Kind.TOPICS);
        try (CaptureService capture = new CaptureService(stack.capture("kd", List.of("public.docs"), true));
             StreamApplier applier = new StreamApplier(config);
             LagMonitor monitor = monitor("kd", "papers")) {
            capture.start();
            applier.start();
            monitor.start();
            io.sluice.format.ConsistencyToken token = commitWithToken("kd",
                    "INSERT INTO docs SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 100000) g");
            assertThat(monitor.awaitPosition(token, "papers", Duration.ofSeconds(60)))
                    .as(() -> "the token's transaction applied; applier " + applier.state() + " " + applier.failure()).isTrue();
            ChangeTopicVerifier verifier = new ChangeTopicVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()),
                    kafka(), "kd", config.followerName(), 0, Duration.ZERO);
            Verifier.Report report = verifier.verify(List.of("public.docs"));
            assertThat(report.equal()).as(report::toString).isTrue();
            List<ConsumerRecord<byte[], byte[]>> records = readCommitted(TopicNames.changes("kd", "papers",
                    new io.sluice.format.TableId("public", "docs")));
            assertThat(records).hasSize(2);
            assertThat(records.get(1).value().length).as("the large row's record").isGreaterThan(3_200_000);
            assertThat(applier.state()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    /** Runs {@code sql} on the primary in a transaction committed through the client: the consistency token of it. */
    private static io.sluice.format.ConsistencyToken commitWithToken(String source, String sql) throws Exception {
        try (io.sluice.client.SluiceClient client = io.sluice.client.SluiceClient.builder(source)
                .primary(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser())).build();
             Connection c = stack.primary.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return client.commit(c, client.session());
        }
    }

    /** A lag monitor of the source's change-topics follower, its watermark read from the group offset the applier commits. */
    private static LagMonitor monitor(String source, String follower) {
        return new LagMonitor(new MonitorConfig(source, new MonitorConfig.Endpoint(stack.primary.jdbcUrl(), Stack.superuser()),
                "slot_" + source, kafka(), List.of(MonitorConfig.FollowerTarget.watermarkInKafka(follower, Rule.stalenessDefaults())),
                Duration.ofMillis(200), Rule.stalenessDefaults(), Rule.slotDefaults(), MonitorConfig.Http.disabled(),
                MonitorConfig.Webhooks.none()), Clock.systemUTC());
    }

    private static long appliedTransactions() throws Exception {
        return watermark().map(AppliedOffset::transactions).orElse(0L);
    }

    private static Optional<AppliedOffset> watermark() throws Exception {
        return stack.appliedOffset("kt", "feed");
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        Map<String, Object> p = new HashMap<>(kafka());
        p.put("isolation.level", "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new java.util.ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            while (c.position(tp) < end) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static Map<String, Object> kafka() {
        return Map.of("bootstrap.servers", stack.kafka.bootstrapServers());
    }
}
