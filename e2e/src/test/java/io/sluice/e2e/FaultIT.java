package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under a steady write workload: each test breaks one component while transfers run
 * (the total balance never changes; every transaction also appends the next number to a
 * sequence table), brings it back the way a supervisor would (a failed component is restarted,
 * as {@code restart: unless-stopped} does), and then checks, on both followers: the
 * {@code verify} code path says equal, no reader ever saw a broken invariant, and the watermark
 * counted each source transaction exactly once.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {

    private static final String SOURCE = "fault";
    private static final int ACCOUNTS = 50;
    private static final long TOTAL = ACCOUNTS * 1000L;

    @TempDir
    static Path dir;
    static LocalPostgres primary;
    static LocalKafka kafka;
    static final LocalPostgres[] followers = new LocalPostgres[2];
    static CaptureService capture;
    static final StreamApplier[] appliers = new StreamApplier[2];
    /** Capture reaches the primary, follower 0's applier its follower, and every Kafka client Kafka, through these. */
    static TcpProxy primaryProxy;
    static TcpProxy followerProxy;
    static TcpProxy kafkaProxy;
    static int kafkaBroker;
    static int kafkaController;

    private final AtomicBoolean writing = new AtomicBoolean();
    private Thread writer;
    private final List<Thread> readers = new ArrayList<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private long[] transactionsBefore;
    private long sequenceBefore;
    private long faultEndedNanos;

    @BeforeAll
    static void start() throws Exception {
        primary = LocalPostgres.start("primary", dir);
        followers[0] = LocalPostgres.start("follower0", dir);
        followers[1] = LocalPostgres.start("follower1", dir);
        int[] ports = io.sluice.embedded.FreePorts.pick(2);
        kafkaBroker = ports[0];
        kafkaController = ports[1];
        kafkaProxy = new TcpProxy("127.0.0.1", kafkaBroker);
        kafka = startKafka();
        primaryProxy = new TcpProxy("127.0.0.1", primary.port());
        followerProxy = new TcpProxy("127.0.0.1", followers[0].port());
        primary.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, " + ACCOUNTS + ") g",
                "CREATE TABLE seq (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)",
                "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 3000) g");
        capture = new CaptureService(captureConfig());
        capture.start();
        for (int i = 0; i < 2; i++) {
            appliers[i] = new StreamApplier(applierConfig(i));
            appliers[i].start();
        }
        for (int i = 0; i < 2; i++) {
            awaitEqual(i, "accounts");
            awaitEqual(i, "notes");
        }
    }

    /** Kafka advertises the proxy's address, so every client's traffic goes through it. */
    private static LocalKafka startKafka() {
        return LocalKafka.builder().logDirectory(dir.resolve("kafka")).ports(kafkaBroker, kafkaController)
                .setting("advertised.listeners", "PLAINTEXT://127.0.0.1:" + kafkaProxy.port()).start();
    }

    private static Map<String, Object> kafkaClients() {
        return Map.of("bootstrap.servers", "127.0.0.1:" + kafkaProxy.port());
    }

    private static io.sluice.capture.CaptureConfig captureConfig() {
        return new io.sluice.capture.CaptureConfig(SOURCE, "jdbc:postgresql://127.0.0.1:" + primaryProxy.port() + "/postgres",
                Stack.superuser(), kafkaClients(), "slot_" + SOURCE, "pub_" + SOURCE, List.of(), Duration.ofMillis(500),
                Duration.ofMillis(5), true, dir.resolve("capture-" + SOURCE), Map.of());
    }

    private static io.sluice.applier.ApplierConfig applierConfig(int follower) {
        String url = follower == 0 ? "jdbc:postgresql://127.0.0.1:" + followerProxy.port() + "/postgres" : followers[follower].jdbcUrl();
        return io.sluice.applier.ApplierConfig.of(SOURCE, "f" + follower, url, Stack.superuser(), kafkaClients());
    }

    private static void awaitEqual(int follower, String table) {
        Await.until(Duration.ofSeconds(60), () -> "follower " + follower + " to equal the primary on " + table,
                () -> primary.rowsAsText(table).equals(followers[follower].rowsAsText(table)));
    }

    @AfterAll
    static void stop() {
        for (StreamApplier a : appliers) {
            if (a != null) {
                a.close();
            }
        }
        if (capture != null) {
            capture.close();
        }
        for (TcpProxy p : new TcpProxy[] {primaryProxy, followerProxy, kafkaProxy}) {
            if (p != null) {
                p.close();
            }
        }
        for (LocalPostgres f : followers) {
            if (f != null) {
                f.close();
            }
        }
        if (kafka != null) {
            kafka.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @BeforeEach
    void startWorkload() throws Exception {
        transactionsBefore = new long[] {watermarkTransactions(0), watermarkTransactions(1)};
        sequenceBefore = Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq"));
        writing.set(true);
        writer = new Thread(this::write, "fault-workload");
        writer.start();
        for (int i = 0; i < 2; i++) {
            int f = i;
            Thread r = new Thread(() -> watchInvariants(f), "fault-invariants-" + i);
            r.start();
            readers.add(r);
        }
        Await.until(Duration.ofSeconds(30), () -> "the workload to reach both followers", () -> applied(0) > sequenceBefore + 20
                && applied(1) > sequenceBefore + 20);
    }

    @AfterEach
    void stopWorkloadAndVerify(org.junit.jupiter.api.TestInfo test) throws Exception {
        writing.set(false);
        writer.join();
        long committed = Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq"));
        for (int i = 0; i < 2; i++) {
            int f = i;
            Await.until(Duration.ofSeconds(120), () -> "follower " + f + " to apply all " + committed + " sequence rows",
                    () -> applied(f) == committed);
        }
        double recovery = (System.nanoTime() - faultEndedNanos) / 1e9;
        readers.forEach(Thread::interrupt);
        for (Thread r : readers) {
            r.join();
        }
        for (int i = 0; i < 2; i++) {
            Verifier v = new Verifier(new JdbcDataSource(primary.jdbcUrl(), Stack.superuser()),
                    new JdbcDataSource(followers[i].jdbcUrl(), Stack.superuser()), SOURCE, 1000, 3, Duration.ofSeconds(10));
            Verifier.Report report = v.verify(v.tables());
            assertThat(report.equal()).as("verify on follower %d: %s", i, report).isTrue();
            assertThat(watermarkTransactions(i) - transactionsBefore[i])
                    .as("source transactions applied on follower %d: each of the %d new ones exactly once", i, committed - sequenceBefore)
                    .isEqualTo(committed - sequenceBefore);
        }
        assertThat(violations).as("invariants seen broken on a follower").isEmpty();
        System.out.printf("RECOVERY %s: %.1f s from the end of the fault to both followers caught up (%d transactions)%n",
                test.getTestMethod().map(java.lang.reflect.Method::getName).orElse("?"), recovery, committed - sequenceBefore);
    }

    /** Transfers between two accounts plus the next sequence number, in one transaction, ~200/s; survives restarts. */
    private void write() {
        Random random = new Random();
        while (writing.get()) {
            try (Connection c = primary.connect()) {
                c.setAutoCommit(false);
                try (PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                     PreparedStatement next = c.prepareStatement("INSERT INTO seq (n) SELECT coalesce(max(n), 0) + 1 FROM seq")) {
                    while (writing.get()) {
                        int a = 1 + random.nextInt(ACCOUNTS);
                        int b = 1 + random.nextInt(ACCOUNTS);
                        long amount = 1 + random.nextInt(100);
                        move.setLong(1, -amount);
                        move.setInt(2, a);
                        move.executeUpdate();
                        move.setLong(1, amount);
                        move.setInt(2, b);
                        move.executeUpdate();
                        next.executeUpdate();
                        c.commit();
                        Thread.sleep(5); // paces the workload (~150-200 tx/s); not synchronisation
                    }
                }
            } catch (SQLException e) {
                pause(); // the primary is down: retry like an application would
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** A reader polling a follower: the total never changes, the sequence is a gap-free prefix. */
    private void watchInvariants(int follower) {
        while (!Thread.currentThread().isInterrupted()) {
            try (Connection c = followers[follower].connect()) {
                c.setAutoCommit(false);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                while (!Thread.currentThread().isInterrupted()) {
                    try (Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT (SELECT sum(balance) FROM accounts),"
                                 + " (SELECT count(*) FROM seq), (SELECT coalesce(max(n), 0) FROM seq)")) {
                        rs.next();
                        if (rs.getLong(1) != TOTAL) {
                            violations.add("follower " + follower + ": total " + rs.getLong(1) + " != " + TOTAL);
                        }
                        if (rs.getLong(2) != rs.getLong(3)) {
                            violations.add("follower " + follower + ": " + rs.getLong(2) + " sequence rows but max " + rs.getLong(3));
                        }
                    }
                    c.commit();
                }
            } catch (SQLException e) {
                if (!"42P01".equals(e.getSQLState()) && !e.getSQLState().startsWith("08") && !e.getSQLState().startsWith("57")) {
                    violations.add("follower " + follower + ": " + e);
                }
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100); // back-off before reconnecting to a server that is down
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long applied(int follower) {
        try {
            return Long.parseLong(followers[follower].queryScalar("SELECT count(*) FROM seq"));
        } catch (SQLException e) {
            return -1;
        }
    }

    private static long watermarkTransactions(int follower) throws SQLException {
        return Long.parseLong(followers[follower].queryScalar("SELECT transactions FROM sluice.watermark WHERE source = '" + SOURCE + "'"));
    }

    /** What a supervisor does: a component that failed is started again. */
    private static void supervise() {
        if (capture.state() == CaptureService.State.FAILED) {
            System.out.println("SUPERVISOR restarts capture: " + capture.failure().map(Throwable::getMessage).orElse("?"));
            capture.close();
            capture = new CaptureService(captureConfig());
            capture.start();
        }
        for (int i = 0; i < 2; i++) {
            if (appliers[i].state() == StreamApplier.State.FAILED) {
                System.out.println("SUPERVISOR restarts applier " + i + ": " + appliers[i].failure().map(Throwable::getMessage).orElse("?"));
                appliers[i].close();
                appliers[i] = new StreamApplier(applierConfig(i));
                appliers[i].start();
            }
        }
    }

    private void faultEnded() {
        faultEndedNanos = System.nanoTime();
    }

    @Test
    @Order(1)
    void anApplierStoppedMidBatchAndRestarted() throws Exception {
        Await.until(Duration.ofSeconds(10), () -> "more writes", () -> applied(0) > sequenceBefore + 100);
        appliers[0].close(); // its open follower transaction is rolled back
        Await.until(Duration.ofSeconds(10), () -> "a backlog for follower 0", () -> applied(1) > applied(0) + 200);
        appliers[0] = new StreamApplier(applierConfig(0));
        appliers[0].start();
        faultEnded();
    }

    @Test
    @Order(2)
    void captureStoppedMidStreamAndRestarted() throws Exception {
        capture.close();
        long before = Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq"));
        Await.until(Duration.ofSeconds(10), () -> "writes while capture is down", () ->
                Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq")) > before + 200);
        capture = new CaptureService(captureConfig());
        capture.start();
        faultEnded();
    }

    @Test
    @Order(3)
    void theKafkaBrokerStopsAndRestartsWithItsData() throws Exception {
        kafka.close();
        long before = Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq"));
        Await.until(Duration.ofSeconds(10), () -> "writes while Kafka is down", () ->
                Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq")) > before + 200);
        kafka = startKafka();
        faultEnded();
        Await.until(Duration.ofSeconds(90), () -> "capture and appliers to resume (supervised)", () -> {
            supervise();
            return applied(0) > before + 200 && applied(1) > before + 200;
        });
    }

    @Test
    @Order(4)
    void aFollowerCrashesDuringApplyAndRestarts() throws Exception {
        int port = followers[1].port();
        Path data = followers[1].dataDirectory();
        followers[1].crash();
        long before = applied(0);
        Await.until(Duration.ofSeconds(10), () -> "writes while follower 1 is down", () -> applied(0) > before + 200);
        followers[1] = LocalPostgres.builder("follower1").dataDirectory(data).port(port).keepData(true).start();
        faultEnded();
        Await.until(Duration.ofSeconds(90), () -> "follower 1 to resume (supervised)", () -> {
            supervise();
            return applied(1) > before + 200;
        });
    }

    @Test
    @Order(5)
    void thePrimaryCrashesDuringTheWorkloadAndRestarts() throws Exception {
        int port = primary.port();
        Path data = primary.dataDirectory();
        long before = applied(0);
        primary.crash();
        primary = LocalPostgres.builder("primary").dataDirectory(data).port(port).keepData(true).start();
        faultEnded();
        Await.until(Duration.ofSeconds(120), () -> "the pipeline to resume after the primary's crash (supervised)", () -> {
            supervise();
            return applied(0) > before + 200 && applied(1) > before + 200;
        });
    }

    @Test
    @Order(6)
    void aFollowerDetachedForLongWhileThePrimaryKeepsWriting() throws Exception {
        appliers[1].close();
        long before = applied(1);
        Await.until(Duration.ofSeconds(60), () -> "1,500 transactions while follower 1 is detached", () -> applied(0) > before + 1500);
        appliers[1] = new StreamApplier(applierConfig(1));
        appliers[1].start();
        faultEnded();
    }

    @Test
    @Order(7)
    void verifyFindsARowMissingOnAFollowerAndNamesItsKey(@TempDir Path tmp) throws Exception {
        followers[0].execute("DELETE FROM notes WHERE id = 1234", "UPDATE notes SET body = 'tampered' WHERE id = 2500");
        Path config = tmp.resolve("sluice.properties");
        java.nio.file.Files.writeString(config, String.join("\n",
                "source.id = " + SOURCE,
                "primary.url = " + primary.jdbcUrl().replace("?user=postgres", ""),
                "primary.user = postgres",
                "kafka.bootstrap.servers = 127.0.0.1:" + kafkaProxy.port(),
                "followers.f0.url = " + followers[0].jdbcUrl().replace("?user=postgres", ""),
                "followers.f0.user = postgres", ""));
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int code;
        System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = io.sluice.cli.Main.commandLine().execute("verify", "--config", config.toString(), "--table", "public.notes",
                    "--chunk-rows", "1000", "--retries", "1", "--wait", "1s");
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(code).as(out).isEqualTo(1);
        assertThat(out).contains("follower f0 public.notes", "DIFFERS (primary 3000 rows, follower 2999 rows, 3 chunk(s))",
                "public.notes id=1234: primary (1234,\"note 1234\") / follower (no row)",
                "public.notes id=2500: primary (2500,\"note 2500\") / follower (2500,tampered)");
        followers[0].execute("INSERT INTO notes VALUES (1234, 'note 1234')", "UPDATE notes SET body = 'note 2500' WHERE id = 2500");
        faultEnded();
    }

    @Test
    @Order(8)
    void everyConnectionCutAgainAndAgainInEveryDirection() throws Exception {
        for (int round = 0; round < 3; round++) {
            long before = Math.min(applied(0), applied(1));
            primaryProxy.cut();   // capture <-> primary: Debezium's replication and query connections
            followerProxy.cut();  // applier 0 <-> follower 0
            kafkaProxy.cut();     // capture's producer, both appliers' consumers <-> Kafka
            Await.until(Duration.ofSeconds(90), () -> "both followers progressing after cut " + before, () -> {
                supervise();
                return Math.min(applied(0), applied(1)) > before + 100;
            });
        }
        faultEnded();
    }

    @Test
    @Order(9)
    void latencyAddedOnEveryLink() throws Exception {
        for (TcpProxy p : new TcpProxy[] {primaryProxy, followerProxy, kafkaProxy}) {
            p.latency(40);
        }
        long before = Math.min(applied(0), applied(1));
        Await.until(Duration.ofSeconds(60), () -> "progress with 40 ms added per hop", () -> Math.min(applied(0), applied(1)) > before + 300);
        for (TcpProxy p : new TcpProxy[] {primaryProxy, followerProxy, kafkaProxy}) {
            p.latency(0);
        }
        faultEnded();
    }

    @Test
    @Order(10)
    void aPartitionThatHealsAfterFiveSeconds() throws Exception {
        long primaryBefore = Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq"));
        for (TcpProxy p : new TcpProxy[] {primaryProxy, followerProxy, kafkaProxy}) {
            p.blackhole(true);
        }
        Await.until(Duration.ofSeconds(30), () -> "5 s of writes during the partition", () ->
                Long.parseLong(primary.queryScalar("SELECT count(*) FROM seq")) > primaryBefore + 500);
        for (TcpProxy p : new TcpProxy[] {primaryProxy, followerProxy, kafkaProxy}) {
            p.blackhole(false);
        }
        faultEnded();
        Await.until(Duration.ofSeconds(120), () -> "the pipeline to resume after the partition", () -> {
            supervise();
            return Math.min(applied(0), applied(1)) > primaryBefore + 500;
        });
    }
}
