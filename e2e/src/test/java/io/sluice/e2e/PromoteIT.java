package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureService;
import io.sluice.capture.Epochs;
import io.sluice.capture.LostWrites;
import io.sluice.cli.promote.AutoPromotion;
import io.sluice.cli.promote.OldPrimaryRebuild;
import io.sluice.cli.promote.Promotion;
import io.sluice.cli.promote.PromotionException;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.EventCodec;
import io.sluice.format.TopicNames;
import io.sluice.format.SqlText;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Sluice follower promoted to primary (docs/failover.md): the stream is the replication log. The
 * primary dies under a workload that takes ids from a serial and an identity column; the follower
 * applies all that reached Kafka, takes over under a new epoch with every sequence past what the
 * old primary handed out, and capture continues on it while the other follower goes on by itself.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PromoteIT {

    @TempDir
    static Path dir;
    static LocalKafka kafka;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    @BeforeAll
    static void startKafka() {
        kafka = LocalKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        while (!started.isEmpty()) {
            started.pop().close();
        }
    }

    private <T extends AutoCloseable> T started(T thing) {
        started.push(thing);
        return thing;
    }

    @Test
    void aFollowerPromotedWhenThePrimaryDiesHoldsEveryTransactionOfTheStreamAndHandsOutNoIdTwice() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("promote-primary", dir));
        schema(primary);
        LocalPostgres f1 = started(LocalPostgres.start("promote-f1", dir));
        LocalPostgres f2 = started(LocalPostgres.start("promote-f2", dir));
        CaptureConfig config = captureConfig("pr", primary.jdbcUrl());
        started(new CaptureService(config)).start();
        // The Kafka-durable level: the primary's commit returns once capture has the transaction on Kafka.
        primary.execute("ALTER SYSTEM SET synchronous_standby_names = '\"" + CaptureService.walSenderName(config) + "\"'",
                "SELECT pg_reload_conf()");
        StreamApplier a1 = applier("pr", "f1", f1);
        applier("pr", "f2", f2);
        Workload workload = started(new Workload(primary.jdbcUrl()));
        Invariant invariant = started(new Invariant(f2));
        Await.until(Duration.ofSeconds(60), () -> "f1 to apply 300 transfers and the primary's sequences",
                () -> count(f1, "seq") >= 300 && count(f1, "sluice.sequence_state") == 1);
        Path data = primary.dataDirectory();
        int port = primary.port();

        long killed = System.nanoTime();
        primary.crash();
        workload.awaitStopped();

        ByteArrayOutputStream said = new ByteArrayOutputStream();
        long promoting = System.nanoTime();
        Promotion.Result promoted = new Promotion(config, applierConfig("pr", "f1", f1), Clock.systemUTC(),
                new PrintStream(said, true, StandardCharsets.UTF_8)).run(Promotion.Options.defaults());
        System.out.print(said.toString(StandardCharsets.UTF_8));
        assertThat(promoted.epoch()).isEqualTo(1);
        assertThat(a1.promotedIn()).as("f1's own applier stopped at the marker").contains(1L);
        assertThat(a1.state()).isEqualTo(StreamApplier.State.STOPPED);

        Set<Long> inStream = seqInStreamBeforeTheMarker("pr");
        assertThat(ids(f1, "SELECT n FROM seq")).as("the new primary holds exactly what reached the stream").isEqualTo(inStream);
        assertThat(inStream).as("every acknowledged transaction (Kafka-durable level)").containsAll(workload.acknowledged);

        // Capture continues on the new primary (its state directory still names the old one).
        long captureFrom = System.nanoTime();
        started(new CaptureService(captureConfig("pr", f1.jdbcUrl()))).start();
        long captureRunning = System.nanoTime();
        List<Long> newOrders = new ArrayList<>();
        List<Long> newTickets = new ArrayList<>();
        try (Connection c = f1.connect()) {
            for (int i = 0; i < 20; i++) {
                newOrders.add(insertReturning(c, "INSERT INTO orders (note) VALUES ('after') RETURNING id"));
                newTickets.add(insertReturning(c, "INSERT INTO tickets (note) VALUES ('after') RETURNING id"));
            }
        }
        Await.until(Duration.ofSeconds(60), () -> "f2 to apply the new primary's first order " + newOrders.get(0),
                () -> "1".equals(f2.queryScalar("SELECT count(*) FROM orders WHERE id = " + newOrders.get(0))));
        long applied = System.nanoTime();
        System.out.printf("FAILOVER (follower promoted) %.1f s of failover from the promotion's start to the new primary's first"
                + " transaction applied on f2: promote %.1f s (of it %.1f s until f1 had applied up to the marker), capture"
                + " starting on f1 %.1f s, its first transaction to f2 %.1f s; the kill was %.1f s before the promotion's start%n",
                promoted.took().toMillis() / 1000.0 + (applied - captureFrom) / 1e9, promoted.took().toMillis() / 1000.0,
                promoted.drained().toMillis() / 1000.0, (captureRunning - captureFrom) / 1e9, (applied - captureRunning) / 1e9,
                (promoting - killed) / 1e9);
        assertThat(newOrders).as("no order id the old primary handed out is handed out again")
                .allMatch(id -> id > workload.highestOrder()).doesNotHaveDuplicates();
        assertThat(newTickets).as("nor a ticket id (identity column)").allMatch(id -> id > workload.highestTicket());
        Await.until(Duration.ofSeconds(60), () -> "f2 to apply every new order", () -> count(f2, "orders") == count(f1, "orders"));
        assertThat(verify(f1, f2, "pr")).as("f2 equals the new primary").isTrue();
        assertThat(invariant.stop()).as("f2's reads, all through the failover: the balances' total never changed").isEmpty();
        assertThat(invariant.reads()).as("reads by the invariant reader").isGreaterThan(10);

        // The old primary comes back: capture refuses it, and rejoin lists exactly what it has that the stream has not.
        LocalPostgres old = started(LocalPostgres.builder("promote-old").dataDirectory(data).port(port).keepData(true).start());
        CaptureService stale = new CaptureService(captureConfig("pr", old.jdbcUrl()));
        assertThatThrownBy(stale::start).isInstanceOf(CaptureException.class)
                .hasMessageContaining("is no longer the primary of source pr").hasMessageContaining("follower f1");
        stale.close();
        Set<Long> lostN = new TreeSet<>(ids(old, "SELECT n FROM seq"));
        lostN.removeAll(inStream);
        EpochMarker epoch = Epochs.latest("pr", kafkaProps(), Duration.ofSeconds(30)).orElseThrow();
        List<LostWrites.Transaction> lost = LostWrites.ofReplacedPrimary(epoch, old.jdbcUrl(), Stack.superuser(), "slot_pr", "pub_pr",
                kafkaProps(), "pr");
        assertThat(seqInserts(lost)).as("the lost writes: on the old primary, not in the stream").isEqualTo(lostN);
        assertThat(lostN).as("none of them was acknowledged (Kafka-durable)").doesNotContainAnyElementsOf(workload.acknowledged);

        // Rebuilt as a follower of the new primary, it follows the stream from there.
        new OldPrimaryRebuild(captureConfig("pr", f1.jdbcUrl()), System.out).run("old", old.jdbcUrl(), Stack.superuser(),
                Optional.of(epoch), Clock.systemUTC());
        applier("pr", "old", old);
        f1.execute("INSERT INTO orders (note) VALUES ('rebuilt')", "UPDATE accounts SET balance = balance + 5 WHERE id = 1",
                "UPDATE accounts SET balance = balance - 5 WHERE id = 2");
        Await.until(Duration.ofSeconds(60), () -> "the rebuilt old primary to apply the new primary's next transactions",
                () -> count(old, "orders") == count(f1, "orders"));
        assertThat(verify(f1, old, "pr")).as("the old primary, rebuilt, equals the new primary").isTrue();
        assertThat(ids(old, "SELECT n FROM seq")).as("its lost writes are gone from it").isEqualTo(inStream);
    }

    private static Set<Long> seqInserts(List<LostWrites.Transaction> lost) {
        Set<Long> listed = new TreeSet<>();
        lost.forEach(t -> t.changes().stream().filter(ch -> ch.table().equals("public.seq") && ch.kind().equals("insert"))
                .forEach(ch -> listed.add(Long.parseLong(ch.key().substring("n=".length())))));
        return listed;
    }

    @Test
    void aCaptureOfTheReplacedPrimaryThatGoesOnWritingIsRefusedByEveryApplier() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("stale-primary", dir));
        schema(primary);
        LocalPostgres f1 = started(LocalPostgres.start("stale-f1", dir));
        LocalPostgres f2 = started(LocalPostgres.start("stale-f2", dir));
        CaptureConfig config = captureConfig("st", primary.jdbcUrl());
        CaptureService oldCapture = started(new CaptureService(config));
        oldCapture.start();
        applier("st", "f1", f1);
        StreamApplier a2 = applier("st", "f2", f2);
        primary.execute("INSERT INTO seq (n) SELECT g FROM generate_series(1, 100) g");
        Await.until(Duration.ofSeconds(60), () -> "both followers to apply the first rows",
                () -> count(f1, "seq") == 100 && count(f2, "seq") == 100);

        assertThatThrownBy(() -> new Promotion(config, applierConfig("st", "f1", f1), Clock.systemUTC(), System.out)
                .run(Promotion.Options.defaults())).isInstanceOf(PromotionException.class)
                .hasMessageContaining("still answers as a primary");
        Path file = dir.resolve("stale.properties");
        java.nio.file.Files.writeString(file, "source.id = st\nprimary.url = " + primary.jdbcUrl() + "\nprimary.user = postgres\n"
                + "kafka.bootstrap.servers = " + kafka.bootstrapServers() + "\ncapture.slot.name = slot_st\n"
                + "capture.publication.name = pub_st\nfollowers.f1.url = " + f1.jdbcUrl() + "\nfollowers.f1.user = postgres\n");
        assertThat(cli("promote", "--config", file.toString(), "--follower", "f1", "--force")).as("sluice promote --force")
                .contains("follower f1 is the primary of source st, epoch 1");

        // The old primary takes writes and its capture, still running, streams them after the marker.
        long refusedBefore = a2.refusedRecords();
        // A position inside the transaction: its commit comes after it. (The WAL's end read after the
        // commit may already be past a heartbeat message, which no later commit would pass.)
        io.sluice.format.Lsn inside;
        try (Connection c = primary.connect(); java.sql.Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO seq (n) SELECT g FROM generate_series(1001, 1010) g");
            try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                inside = io.sluice.format.Lsn.parse(rs.getString(1));
            }
            c.commit();
        }
        Await.until(Duration.ofSeconds(60), () -> "the old primary's capture to stream its transaction",
                () -> oldCapture.lastCommittedLsn().isAfter(inside));
        Await.until(Duration.ofSeconds(60), () -> "f2's applier to refuse the old primary's transaction",
                () -> a2.refusedRecords() > refusedBefore);
        started(new CaptureService(captureConfig("st", f1.jdbcUrl()))).start();
        f1.execute("INSERT INTO seq (n) SELECT g FROM generate_series(2001, 2005) g");
        Await.until(Duration.ofSeconds(60), () -> "f2 to apply the new primary's rows", () -> count(f2, "seq") == 105);
        assertThat(f2.queryScalar("SELECT count(*) FROM seq WHERE n BETWEEN 1001 AND 1010")).as("nothing of the old primary")
                .isEqualTo("0");
        assertThat(a2.state()).isEqualTo(StreamApplier.State.RUNNING);
        assertThat(verify(f1, f2, "st")).as("f2 equals the new primary").isTrue();

        oldCapture.close();
        CaptureService again = new CaptureService(config);
        assertThatThrownBy(again::start).as("the old primary's capture, restarted").isInstanceOf(CaptureException.class)
                .hasMessageContaining("is no longer the primary");
        again.close();

        // Its refused transaction is a lost write, though its slot no longer has it (that capture confirmed it).
        primary.execute("INSERT INTO seq (n) VALUES (3001)");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace(primary.jdbcUrl(), f1.jdbcUrl()));
        String said = cli("rejoin", "--config", file.toString(), "--old-primary", primary.jdbcUrl());
        assertThat(lastExit).as("rejoin exits 1 when there are lost writes").isEqualTo(1);
        assertThat(said).contains("follower f1 was promoted to primary", "2 transaction(s)");
        for (int n = 1001; n <= 1010; n++) {
            assertThat(said).contains("public.seq insert n=" + n);
        }
        assertThat(said).contains("public.seq insert n=3001").doesNotContain("n=100\n");

        cli("rejoin", "--config", file.toString(), "--old-primary", primary.jdbcUrl(), "--rebuild-as", "oldp");
        assertThat(lastExit).as("rejoin --rebuild-as").isZero();
        applier("st", "oldp", primary);
        f1.execute("INSERT INTO seq (n) VALUES (4001)");
        Await.until(Duration.ofSeconds(60), () -> "the rebuilt old primary to apply the new primary's next row",
                () -> "1".equals(primary.queryScalar("SELECT count(*) FROM seq WHERE n = 4001")));
        assertThat(verify(f1, primary, "st")).as("the old primary, rebuilt through the CLI, equals the new primary").isTrue();
    }

    @Test
    void automaticPromotionWaitsOutTheBoundThenPromotesTheFollowerFurthestAlong() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("auto-primary", dir));
        schema(primary);
        LocalPostgres f1 = started(LocalPostgres.start("auto-f1", dir));
        LocalPostgres f2 = started(LocalPostgres.start("auto-f2", dir));
        CaptureConfig config = captureConfig("au", primary.jdbcUrl());
        started(new CaptureService(config)).start();
        StreamApplier a1 = applier("au", "f1", f1);
        applier("au", "f2", f2);
        primary.execute("INSERT INTO seq (n) SELECT g FROM generate_series(1, 100) g");
        Await.until(Duration.ofSeconds(60), () -> "both followers to apply the first rows",
                () -> count(f1, "seq") == 100 && count(f2, "seq") == 100);
        a1.close(); // f1 falls behind
        primary.execute("INSERT INTO seq (n) SELECT g FROM generate_series(101, 200) g");
        Await.until(Duration.ofSeconds(60), () -> "f2 to apply the second rows", () -> count(f2, "seq") == 200);
        List<io.sluice.monitor.Alert> alerts = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.sluice.monitor.LagMonitor monitor = started(new io.sluice.monitor.LagMonitor(new io.sluice.monitor.MonitorConfig("au",
                new io.sluice.monitor.MonitorConfig.Endpoint(primary.jdbcUrl(), Stack.superuser()), "slot_au", kafkaProps(),
                List.of(new io.sluice.monitor.MonitorConfig.FollowerTarget("f2", new io.sluice.monitor.MonitorConfig.Endpoint(
                        f2.jdbcUrl(), Stack.superuser()), false, io.sluice.monitor.Rule.stalenessDefaults())),
                Duration.ofMillis(200), io.sluice.monitor.Rule.stalenessDefaults(), io.sluice.monitor.Rule.slotDefaults(),
                io.sluice.monitor.MonitorConfig.Http.disabled(), io.sluice.monitor.MonitorConfig.Webhooks.none()), Clock.systemUTC()));
        monitor.addListener(alerts::add);
        monitor.start();
        Await.until(Duration.ofSeconds(30), () -> "the monitor's first look at f2",
                () -> monitor.status().map(s -> !s.followers().isEmpty() && s.followers().get(0).watermarkLsn() != null)
                        .orElse(false));
        primary.crash();

        ByteArrayOutputStream said = new ByteArrayOutputStream();
        AutoPromotion auto = new AutoPromotion(config, List.of(applierConfig("au", "f1", f1), applierConfig("au", "f2", f2)),
                Clock.systemUTC(), new PrintStream(said, true, StandardCharsets.UTF_8))
                .withDecisions((alarming, what) -> monitor.promotionDecision(alarming ? io.sluice.monitor.State.WARN
                        : io.sluice.monitor.State.OK, what));
        long t0 = System.nanoTime();
        Promotion.Result r = auto.run(Duration.ofSeconds(2), Promotion.Options.defaults(), () -> true).orElseThrow();
        System.out.print(said.toString(StandardCharsets.UTF_8));
        assertThat(r.follower()).as("the follower furthest along the stream").isEqualTo("f2");
        assertThat(System.nanoTime() - t0).as("it waited out the bound").isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("the primary does not answer", "promoting follower f2");
        assertThat(count(f2, "seq")).isEqualTo(200);
        Await.until(Duration.ofSeconds(30), () -> "the monitor to alert f2's new epoch and show it in /status",
                () -> alerts.stream().anyMatch(a -> a.name().equals("epoch:f2") && a.to() == io.sluice.monitor.State.WARN
                        && a.reason().contains("follower f2 was promoted")) && monitor.status().map(s -> s.followers().get(0).epoch() == 1
                        && "f2".equals(s.followers().get(0).promotedFollower())).orElse(false));
        assertThat(alerts.stream().filter(a -> a.target().equals("failover")).map(io.sluice.monitor.Alert::reason))
                .as("every decision alerted").anyMatch(why -> why.contains("promoting in 2 s unless it comes back"))
                .anyMatch(why -> why.contains("promoting follower f2")).anyMatch(why -> why.contains("follower f2 is the primary, epoch 1"));
        Await.until(Duration.ofSeconds(30), () -> "the decisions in /status", () -> monitor.status()
                .map(s -> s.promotionDecisions().stream().anyMatch(d -> d.text().contains("follower f2 is the primary"))).orElse(false));
    }

    private int lastExit;

    /** Runs a {@code sluice} command as a user does; returns what it printed, its exit code in {@link #lastExit}. */
    private String cli(String... args) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            lastExit = io.sluice.cli.Main.commandLine().execute(args);
        } finally {
            System.setOut(stdout);
        }
        String said = printed.toString(StandardCharsets.UTF_8);
        System.out.print(said);
        return said;
    }

    private static void schema(LocalPostgres primary) throws SQLException {
        primary.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 20) g",
                "CREATE TABLE seq (n bigint PRIMARY KEY)",
                "CREATE TABLE orders (id bigserial PRIMARY KEY, note text)",
                "CREATE TABLE tickets (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)");
    }

    private CaptureConfig captureConfig(String source, String url) {
        return new CaptureConfig(source, url, Stack.superuser(), kafkaProps(), "slot_" + source, "pub_" + source, List.of(),
                Duration.ofMillis(500), Duration.ofMillis(5), true, dir.resolve("capture-" + source), Map.of());
    }

    private static Map<String, Object> kafkaProps() {
        return Map.of("bootstrap.servers", kafka.bootstrapServers());
    }

    private static ApplierConfig applierConfig(String source, String name, LocalPostgres follower) {
        return ApplierConfig.of(source, name, follower.jdbcUrl(), Stack.superuser(), kafkaProps());
    }

    private StreamApplier applier(String source, String name, LocalPostgres follower) {
        StreamApplier a = started(new StreamApplier(applierConfig(source, name, follower)));
        a.start();
        return a;
    }

    private static long count(LocalPostgres pg, String table) throws SQLException {
        try {
            return Long.parseLong(pg.queryScalar("SELECT count(*) FROM " + table));
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return 0; // not created yet
            }
            throw e;
        }
    }

    private static Set<Long> ids(LocalPostgres pg, String sql) throws SQLException {
        Set<Long> ids = new TreeSet<>();
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static long insertReturning(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean verify(LocalPostgres primary, LocalPostgres follower, String source) throws Exception {
        Verifier v = new Verifier(new JdbcDataSource(primary.jdbcUrl(), Stack.superuser()),
                new JdbcDataSource(follower.jdbcUrl(), Stack.superuser()), source, 1000, 3, Duration.ofSeconds(10));
        Verifier.Report report = v.verify(v.tables());
        report.tables().stream().filter(t -> !t.equal()).forEach(t -> System.out.println("DIFFERS: " + t));
        return report.equal();
    }

    /** The {@code seq} numbers the whole frames of epoch 0 before the promotion marker insert. */
    private static Set<Long> seqInStreamBeforeTheMarker(String source) {
        Map<String, Object> p = new HashMap<>(kafkaProps());
        TopicPartition tp = new TopicPartition(TopicNames.stream(source), 0);
        Set<Long> whole = new TreeSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<Long> frame = new ArrayList<>();
            boolean marked = false;
            while (!marked && c.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    for (ChangeEvent e : EventCodec.decodeAll(r.value())) {
                        if (e instanceof ChangeEvent.Message m && EpochMarker.is(m)) {
                            marked = true;
                        } else if (marked) {
                            break;
                        } else if (e instanceof ChangeEvent.Begin) {
                            frame.clear();
                        } else if (e instanceof ChangeEvent.Insert i && i.table().table().equals("seq")) {
                            frame.add(Long.parseLong(SqlText.of(i.after().get("n"))));
                        } else if (e instanceof io.sluice.format.CopyEvent copy && copy.table().table().equals("seq")) {
                            copy.inserts().forEach(ins -> frame.add(Long.parseLong(SqlText.of(ins.after().get("n")))));
                        } else if (e instanceof ChangeEvent.Commit) {
                            whole.addAll(frame);
                            frame.clear();
                        }
                    }
                }
            }
            assertThat(marked).as("the promotion marker on the stream").isTrue();
        }
        return whole;
    }

    /** Reads f2's balances in snapshots all along: a transfer applied in part or twice would change their total. */
    private static final class Invariant implements AutoCloseable {
        private final List<String> broken = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        private final Thread thread;

        Invariant(LocalPostgres follower) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try (Connection c = follower.connect(); Statement st = c.createStatement()) {
                        while (running.get()) {
                            try (ResultSet rs = st.executeQuery("SELECT coalesce(sum(balance), 20000), count(*) FROM accounts")) {
                                rs.next();
                                if (rs.getLong(1) != 20000 && rs.getLong(2) > 0) {
                                    broken.add("total " + rs.getLong(1));
                                }
                            }
                            reads.incrementAndGet();
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // a reader's pace, not synchronisation
                        }
                    } catch (SQLException e) {
                        if (!"42P01".equals(e.getSQLState())) {
                            broken.add(e.getMessage());
                        }
                    }
                }
            }, "promote-invariant");
            thread.start();
        }

        long reads() {
            return reads.get();
        }

        /** Stops reading; returns every broken total seen. */
        List<String> stop() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(30));
            return broken;
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    /**
     * Transfers on the primary, each taking an order id (serial) and a ticket id (identity) and the
     * next {@code seq} number, until the primary is gone. Remembers what was acknowledged and the
     * highest ids handed out, committed or not.
     */
    private static final class Workload implements AutoCloseable {
        final Set<Long> acknowledged = new ConcurrentSkipListSet<>();
        private final ConcurrentSkipListSet<Long> orders = new ConcurrentSkipListSet<>();
        private final ConcurrentSkipListSet<Long> tickets = new ConcurrentSkipListSet<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Workload(String url) {
            thread = new Thread(() -> run(url), "promote-workload");
            thread.start();
        }

        private void run(String url) {
            try (Connection c = DriverManager.getConnection(url, Stack.superuser());
                 PreparedStatement debit = c.prepareStatement("UPDATE accounts SET balance = balance - 1 WHERE id = ?");
                 PreparedStatement credit = c.prepareStatement("UPDATE accounts SET balance = balance + 1 WHERE id = ?");
                 PreparedStatement seq = c.prepareStatement("INSERT INTO seq (n) VALUES (?)");
                 PreparedStatement order = c.prepareStatement("INSERT INTO orders (note) VALUES ('o') RETURNING id");
                 PreparedStatement ticket = c.prepareStatement("INSERT INTO tickets (note) VALUES ('t') RETURNING id")) {
                c.setAutoCommit(false);
                for (long n = 1; running.get(); n++) {
                    debit.setInt(1, (int) (n % 20) + 1);
                    debit.executeUpdate();
                    credit.setInt(1, (int) ((n + 7) % 20) + 1);
                    credit.executeUpdate();
                    seq.setLong(1, n);
                    seq.executeUpdate();
                    orders.add(returning(order));
                    tickets.add(returning(ticket));
                    c.commit();
                    acknowledged.add(n);
                }
            } catch (SQLException gone) {
                // the primary was killed
            }
        }

        private static long returning(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }

        long highestOrder() {
            return orders.isEmpty() ? 0 : orders.last();
        }

        long highestTicket() {
            return tickets.isEmpty() ? 0 : tickets.last();
        }

        void awaitStopped() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(thread.isAlive()).as("the workload ends with its primary").isFalse();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
    }
}
