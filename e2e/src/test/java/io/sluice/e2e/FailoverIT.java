package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.capture.LostWrites;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.embedded.PhysicalStandby;
import io.sluice.format.Lsn;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import io.sluice.monitor.State;
import io.sluice.monitor.Status;
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
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary dies and its physical standby is promoted (PostgreSQL 17 failover slots): capture,
 * given both hosts, finds the new primary and continues from the slot the standby kept, under a
 * transfer workload whose invariant a reader checks on the follower all along; or, where the slot
 * did not follow or the standby was behind what capture had read, stops saying so.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FailoverIT {

    private static final int ACCOUNTS = 50;
    private static final long TOTAL = ACCOUNTS * 1000L;

    @TempDir
    static Path dir;
    static LocalKafka kafka;

    /** What a test started, closed after it, the last started first. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    /** The highest sequence number the workload committed on the promoted standby (0 before the failover). */
    private final AtomicLong firstOnNewPrimary = new AtomicLong();
    private volatile boolean promoted;

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
        writing.set(false);
        while (!started.isEmpty()) {
            started.pop().close();
        }
    }

    private <T extends AutoCloseable> T started(T thing) {
        started.push(thing);
        return thing;
    }

    /** A primary with the transfer tables and a standby that keeps failover slots, listed so decoding waits for it. */
    private LocalPostgres[] primaryAndStandby(String name, boolean syncSlots, boolean waitForStandby) throws Exception {
        LocalPostgres primary = started(LocalPostgres.start(name + "-primary", dir));
        primary.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, " + ACCOUNTS + ") g",
                "CREATE TABLE seq (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
        LocalPostgres.Builder standbySettings = LocalPostgres.builder(name + "-standby").setting("hot_standby_feedback", "on");
        if (syncSlots) {
            standbySettings.setting("sync_replication_slots", "on");
        }
        LocalPostgres standby = started(PhysicalStandby.start(primary, name + "-standby", dir, standbySettings));
        if (waitForStandby) {
            primary.execute("ALTER SYSTEM SET synchronized_standby_slots = '" + PhysicalStandby.slotName(name + "-standby") + "'",
                    "SELECT pg_reload_conf()");
        }
        return new LocalPostgres[] {primary, standby};
    }

    private static String bothHosts(LocalPostgres primary, LocalPostgres standby) {
        return "jdbc:postgresql://127.0.0.1:" + primary.port() + ",127.0.0.1:" + standby.port() + "/postgres";
    }

    private CaptureService capture(String source, String url) {
        return capture(source, url, CaptureConfig.Failover.DEFAULT);
    }

    private CaptureService capture(String source, String url, CaptureConfig.Failover failover) {
        CaptureConfig config = new CaptureConfig(source, url, Stack.superuser(), Map.of("bootstrap.servers", kafka.bootstrapServers()),
                "slot_" + source, "pub_" + source, List.of(), Duration.ofMillis(500), Duration.ofMillis(5), true,
                dir.resolve("capture-" + source), Map.of()).withFailover(failover);
        CaptureService capture = started(new CaptureService(config));
        capture.start();
        return capture;
    }

    private StreamApplier applier(String source, LocalPostgres follower) {
        StreamApplier applier = started(new StreamApplier(ApplierConfig.of(source, "f", follower.jdbcUrl(), Stack.superuser(),
                Map.of("bootstrap.servers", kafka.bootstrapServers()))));
        applier.start();
        return applier;
    }

    /** A lag monitor on the primary's URL with both hosts, evaluated by the test; a stage goes OFFLINE at once. */
    private LagMonitor monitor(String source, String url) {
        Rule rule = new Rule(Rule.Unit.SECONDS, 1, 3, Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1), Duration.ofSeconds(120),
                Duration.ZERO);
        return started(new LagMonitor(new MonitorConfig(source, new MonitorConfig.Endpoint(url, Stack.superuser()), "slot_" + source,
                Map.of("bootstrap.servers", kafka.bootstrapServers()), List.of(), Duration.ofMillis(200), rule, Rule.slotDefaults(),
                MonitorConfig.Http.disabled(), MonitorConfig.Webhooks.none()), Clock.systemUTC()));
    }

    /**
     * Stops the standby's WAL receiver (it keeps running, receiving nothing) and waits until its slot
     * on the primary is inactive; returns the {@code primary_conninfo} that brings it back.
     */
    private static String stopWalReceiver(LocalPostgres primary, LocalPostgres standby, String name) throws SQLException {
        String conninfo = standby.queryScalar("SHOW primary_conninfo");
        standby.execute("ALTER SYSTEM SET primary_conninfo = ''", "SELECT pg_reload_conf()");
        Await.until(Duration.ofSeconds(30), () -> "the standby's WAL receiver to stop",
                () -> "false".equals(primary.queryScalar("SELECT active::text FROM pg_replication_slots WHERE slot_name = '"
                        + PhysicalStandby.slotName(name) + "'")));
        return conninfo;
    }

    /**
     * Waits until the standby's copy of the slot is confirmed at least as far as the primary's is now.
     * The standby keeps its copy temporary until the primary's slot has passed the standby's own
     * catalog horizon, which an idle primary moves only with the running-transactions record it logs
     * every 15 s; the wait logs one itself so that it does not wait for that timer.
     */
    private static void awaitSlotSynchronised(LocalPostgres primary, LocalPostgres standby, String slot) throws SQLException {
        String confirmed = primary.queryScalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        Await.until(Duration.ofSeconds(90), () -> "the standby to hold slot " + slot + ", synchronised up to " + confirmed, () -> {
            primary.execute("SELECT pg_log_standby_snapshot()");
            return "t".equals(standby.queryScalar("SELECT coalesce(bool_and(synced AND NOT temporary)::text::char, 'f')"
                    + " FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND confirmed_flush_lsn >= '" + confirmed + "'"));
        });
    }

    @Test
    void capturePassesToThePromotedStandbyAndTheFollowerEndsEqualToItWithEveryTransactionOnce() throws Exception {
        LocalPostgres[] servers = primaryAndStandby("pass", true, true);
        LocalPostgres primary = servers[0];
        LocalPostgres standby = servers[1];
        LocalPostgres follower = started(LocalPostgres.start("pass-follower", dir));
        String url = bothHosts(primary, standby);
        CaptureService capture = capture("pass", url);
        applier("pass", follower);
        Await.until(Duration.ofSeconds(60), () -> "the snapshot to reach the follower",
                () -> primary.rowsAsText("accounts").equals(follower.rowsAsText("accounts")));
        assertThat(primary.queryScalar("SELECT failover::text FROM pg_replication_slots WHERE slot_name = 'slot_pass'"))
                .as("capture's slot is a failover slot").isEqualTo("true");

        long transactionsBefore = watermarkTransactions(follower, "pass");
        Thread writer = workload(url);
        Thread reader = invariantReader(follower);
        Await.until(Duration.ofSeconds(60), () -> "the workload to reach the follower", () -> count(follower) > 50);
        awaitSlotSynchronised(primary, standby, "slot_pass");
        Status.Failover seen = monitor("pass", url).evaluate().failover();
        assertThat(seen.failoverSlot()).isTrue();
        assertThat(seen.standbys()).as("the monitor sees the standby's copy of the slot")
                .singleElement().satisfies(sb -> assertThat(sb.slotSynced()).isTrue());
        assertThat(seen.standbySlots()).singleElement().satisfies(sl -> assertThat(sl.listed() && sl.active()).isTrue());
        assertThat(seen.holdingBack()).isEmpty();
        Await.until(Duration.ofSeconds(60), () -> "more of the workload to reach the follower", () -> count(follower) > 150);

        long killed = System.nanoTime();
        primary.crash();
        standby.promote();
        long promotedAt = System.nanoTime();
        promoted = true;
        Await.until(Duration.ofSeconds(90), () -> "a transaction written on the promoted standby to reach the follower",
                () -> firstOnNewPrimary.get() > 0 && count(follower) >= firstOnNewPrimary.get());
        long failoverMillis = (System.nanoTime() - killed) / 1_000_000;
        long afterPromotionMillis = (System.nanoTime() - promotedAt) / 1_000_000;
        Await.until(Duration.ofSeconds(60), () -> "more transactions on the new primary",
                () -> count(standby) > firstOnNewPrimary.get() + 100);
        writing.set(false);
        writer.join();
        long committed = count(standby);
        Await.until(Duration.ofSeconds(60), () -> "the follower to apply all " + committed + " transactions",
                () -> count(follower) == committed);
        reader.interrupt();
        reader.join();

        assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
        Verifier v = new Verifier(new JdbcDataSource(standby.jdbcUrl(), Stack.superuser()),
                new JdbcDataSource(follower.jdbcUrl(), Stack.superuser()), "pass", 1000, 3, Duration.ofSeconds(10));
        Verifier.Report report = v.verify(v.tables());
        assertThat(report.equal()).as("verify against the new primary: %s", report).isTrue();
        assertThat(watermarkTransactions(follower, "pass") - transactionsBefore)
                .as("source transactions counted by the watermark: each of the %d, once", committed)
                .isEqualTo(committed);
        assertThat(violations).as("invariants seen broken on the follower").isEmpty();
        System.out.printf("FAILOVER standby promoted: %d ms from the kill (%d ms from the promotion) to the first transaction"
                + " of the new primary applied on the follower (%d transactions in all)%n", failoverMillis, afterPromotionMillis,
                committed);
    }

    @Test
    void aStandbyThatDecodingWaitsForIsAlertedWhileItIsAwayAndDecodingGoesOnWhenItIsBack() throws Exception {
        LocalPostgres[] servers = primaryAndStandby("held", true, true);
        LocalPostgres primary = servers[0];
        LocalPostgres standby = servers[1];
        String url = bothHosts(primary, standby);
        CaptureService capture = capture("held", url);
        LagMonitor monitor = monitor("held", url);
        assertThat(monitor.evaluate().standbys().state()).isEqualTo(State.OK);

        String conninfo = stopWalReceiver(primary, standby, "held-standby");
        String slot = PhysicalStandby.slotName("held-standby");
        long before = Long.parseLong(primary.queryScalar("SELECT pg_current_wal_lsn() - '0/0'"));
        primary.execute("INSERT INTO seq (n) VALUES (1)");
        Status away = monitor.evaluate();
        assertThat(away.standbys().state()).isEqualTo(State.OFFLINE);
        assertThat(away.standbys().reason()).contains(slot).contains("synchronized_standby_slots").contains("waits");

        standby.execute("ALTER SYSTEM SET primary_conninfo = '" + conninfo.replace("'", "''") + "'", "SELECT pg_reload_conf()");
        Await.until(Duration.ofSeconds(60), () -> "capture to get the transaction once the standby has it",
                () -> capture.lastCommittedLsn().value() > before);
        Await.until(Duration.ofSeconds(30), () -> "the standbys stage to recover",
                () -> monitor.evaluate().standbys().state() == State.OK);
    }

    @Test
    void withNoPrimaryToBeFoundCaptureFailsAfterItsReconnectTimeoutAndStopsAtOnceWhenClosedMeanwhile() throws Exception {
        LocalPostgres primary = started(LocalPostgres.start("gone-primary", dir));
        primary.execute("CREATE TABLE seq (n bigint PRIMARY KEY)");
        CaptureService waiting = capture("gone1", primary.jdbcUrl(), new CaptureConfig.Failover(true, Duration.ofMinutes(10)));
        CaptureService giving = capture("gone2", primary.jdbcUrl(), new CaptureConfig.Failover(true, Duration.ofSeconds(2)));
        primary.execute("INSERT INTO seq VALUES (1)");
        Await.until(Duration.ofSeconds(30), () -> "both captures to stream the first transaction",
                () -> waiting.lastCommittedLsn().value() > 0 && giving.lastCommittedLsn().value() > 0);

        primary.crash();
        Await.until(Duration.ofSeconds(30), () -> "both captures to look for the primary",
                () -> waiting.state() == CaptureService.State.RECONNECTING && giving.state() != CaptureService.State.RUNNING);
        Await.until(Duration.ofSeconds(30), () -> "the capture with a 2 s reconnect timeout to fail",
                () -> giving.state() == CaptureService.State.FAILED);
        assertThat(giving.failure().orElseThrow().getMessage()).contains("cannot connect to the primary");
        assertThat(waiting.state()).as("the other still looks").isEqualTo(CaptureService.State.RECONNECTING);
        waiting.close();
        assertThat(waiting.state()).isEqualTo(CaptureService.State.STOPPED);
    }

    @Test
    void theOldPrimaryStartedAgainListsExactlyTheTransactionsItHadThatTheNewPrimaryDidNot(@TempDir Path tmp) throws Exception {
        LocalPostgres[] servers = primaryAndStandby("lost", true, true);
        LocalPostgres primary = servers[0];
        LocalPostgres standby = servers[1];
        String url = bothHosts(primary, standby);
        CaptureService capture = capture("lost", url);
        primary.execute("INSERT INTO seq (n) VALUES (1)");
        awaitSlotSynchronised(primary, standby, "slot_lost");
        // The standby stops receiving WAL: what the primary commits now it never gets, and decoding
        // waits for it (synchronized_standby_slots), so capture does not get it either.
        stopWalReceiver(primary, standby, "lost-standby");
        for (int n = 2; n <= 5; n++) {
            primary.execute("INSERT INTO seq (n) VALUES (" + n + ")");
        }
        primary.execute("BEGIN", "UPDATE accounts SET balance = balance - 7 WHERE id = 3",
                "UPDATE accounts SET balance = balance + 7 WHERE id = 4", "DELETE FROM seq WHERE n = 1", "COMMIT");
        Path data = primary.dataDirectory();
        int port = primary.port();

        primary.crash();
        standby.promote();
        Await.until(Duration.ofSeconds(60), () -> "capture to continue on the promoted standby",
                () -> capture.state() == CaptureService.State.RUNNING && capture.lastCommittedLsn().value() > 0
                        && "t".equals(standby.queryScalar("SELECT active::text::char FROM pg_replication_slots WHERE slot_name = 'slot_lost'")));
        LocalPostgres old = started(LocalPostgres.builder("lost-primary").dataDirectory(data).port(port).keepData(true).start());

        Lsn switchPoint = LostWrites.switchPoint(standby.jdbcUrl(), Stack.superuser(), old.jdbcUrl(), Stack.superuser(), "lost");
        List<LostWrites.Transaction> lost = LostWrites.after(old.jdbcUrl(), Stack.superuser(), "slot_lost", "pub_lost", switchPoint);
        assertThat(lost).as("the old primary's transactions after the switch point").hasSize(5);
        assertThat(lost.stream().flatMap(t -> t.changes().stream()).map(LostWrites.Change::toString)).containsExactly(
                "public.seq insert n=2", "public.seq insert n=3", "public.seq insert n=4", "public.seq insert n=5",
                "public.accounts update id=3", "public.accounts update id=4", "public.seq delete n=1");
        assertThat(count(standby)).as("none of them is on the new primary").isEqualTo(1);

        // Both now answer as primaries, the old one listed first: a capture that reconnects reads the newest timeline.
        standby.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'slot_lost'");
        long before = Long.parseLong(standby.queryScalar("SELECT pg_current_wal_lsn() - '0/0'"));
        standby.execute("INSERT INTO seq (n) VALUES (100)");
        Await.until(Duration.ofSeconds(60), () -> "capture to reconnect to the promoted standby and stream its new row",
                () -> capture.lastCommittedLsn().value() > before);
        assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
        assertThat(old.queryScalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'slot_lost' AND active"))
                .as("the old primary's slot is not read").isEqualTo("0");

        Path config = tmp.resolve("sluice.properties");
        java.nio.file.Files.writeString(config, "source.id = lost\nprimary.url = " + url + "\nprimary.user = postgres\n"
                + "kafka.bootstrap.servers = " + kafka.bootstrapServers() + "\ncapture.slot.name = slot_lost\n"
                + "capture.publication.name = pub_lost\n");
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        int code;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = io.sluice.cli.Main.commandLine().execute("rejoin", "--config", config.toString(), "--old-primary", old.jdbcUrl());
        } finally {
            System.setOut(stdout);
        }
        String out = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(code).as("rejoin's exit code; output:%n%s", out).isEqualTo(1);
        assertThat(out).contains("committed 5 transaction(s) after it", "public.seq insert n=5", "public.accounts update id=3",
                "rebuild it from a base backup of the new primary", "--rebuild-as NAME");
    }

    @Test
    void aSlotTheStandbyDidNotKeepStopsCaptureOnTheNewPrimaryNamingItAndTheWayOn() throws Exception {
        LocalPostgres[] servers = primaryAndStandby("noslot", false, true);
        LocalPostgres primary = servers[0];
        LocalPostgres standby = servers[1];
        CaptureService capture = capture("noslot", bothHosts(primary, standby));
        primary.execute("INSERT INTO seq (n) VALUES (1)");
        Await.until(Duration.ofSeconds(30), () -> "capture to stream the first transaction",
                () -> capture.lastCommittedLsn().value() > 0 && standbyHas(standby, 1));

        primary.crash();
        standby.promote();
        Await.until(Duration.ofSeconds(90), () -> "capture to give up on the promoted standby",
                () -> capture.state() == CaptureService.State.FAILED);
        assertThat(capture.failure().orElseThrow().getMessage())
                .contains("slot_noslot").contains("does not exist").contains("promoted").contains("snapshot");
    }

    @Test
    void aPromotedStandbyThatLacksWhatCaptureAlreadyStreamedIsRefused() throws Exception {
        LocalPostgres[] servers = primaryAndStandby("behind", true, false);
        LocalPostgres primary = servers[0];
        LocalPostgres standby = servers[1];
        CaptureService capture = capture("behind", bothHosts(primary, standby));
        primary.execute("INSERT INTO seq (n) VALUES (1)");
        awaitSlotSynchronised(primary, standby, "slot_behind");
        // The standby stops receiving WAL; nothing makes decoding wait for it.
        stopWalReceiver(primary, standby, "behind-standby");
        long before = Long.parseLong(primary.queryScalar("SELECT pg_current_wal_lsn() - '0/0'"));
        primary.execute("INSERT INTO seq (n) VALUES (2)");
        Await.until(Duration.ofSeconds(30), () -> "capture to stream the second transaction",
                () -> capture.lastCommittedLsn().value() > before);

        primary.crash();
        standby.promote();
        Await.until(Duration.ofSeconds(90), () -> "capture to refuse the promoted standby",
                () -> capture.state() == CaptureService.State.FAILED);
        assertThat(capture.failure().orElseThrow().getMessage())
                .contains("left timeline 1").contains("the stream holds").contains("synchronized_standby_slots");
    }

    private static long watermarkTransactions(LocalPostgres follower, String source) throws SQLException {
        return Long.parseLong(follower.queryScalar("SELECT transactions FROM sluice.watermark WHERE source = '" + source + "'"));
    }

    private static boolean standbyHas(LocalPostgres standby, long n) throws SQLException {
        return Long.parseLong(standby.queryScalar("SELECT count(*) FROM seq WHERE n = " + n)) == 1;
    }

    private static long count(LocalPostgres pg) throws SQLException {
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM seq"));
    }

    /** Transfers plus the next sequence number per transaction, on whichever host is the primary, reconnecting on failure. */
    private Thread workload(String url) {
        writing.set(true);
        Thread t = new Thread(() -> {
            Random random = new Random();
            java.util.Properties p = Stack.superuser();
            p.setProperty("targetServerType", "primary");
            p.setProperty("hostRecheckSeconds", "1");
            while (writing.get()) {
                try (Connection c = DriverManager.getConnection(url, p)) {
                    c.setAutoCommit(false);
                    try (PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                         PreparedStatement next = c.prepareStatement(
                                 "INSERT INTO seq (n) SELECT coalesce(max(n), 0) + 1 FROM seq RETURNING n")) {
                        while (writing.get()) {
                            long amount = 1 + random.nextInt(100);
                            move.setLong(1, -amount);
                            move.setInt(2, 1 + random.nextInt(ACCOUNTS));
                            move.executeUpdate();
                            move.setLong(1, amount);
                            move.setInt(2, 1 + random.nextInt(ACCOUNTS));
                            move.executeUpdate();
                            long n;
                            try (ResultSet rs = next.executeQuery()) {
                                rs.next();
                                n = rs.getLong(1);
                            }
                            c.commit();
                            if (promoted) {
                                firstOnNewPrimary.compareAndSet(0, n);
                            }
                            pace();
                        }
                    }
                } catch (SQLException e) {
                    pause(); // the primary is gone: try the hosts again shortly
                }
            }
        }, "failover-workload");
        t.start();
        return t;
    }

    /** About 200 transactions a second: a steady workload, not a flood. */
    private static void pace() throws SQLException {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted", e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // back-off before looking for a primary again, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Checks the follower's total and sequence as a reader of it would, until interrupted. */
    private Thread invariantReader(LocalPostgres follower) {
        Thread t = new Thread(() -> {
            try (Connection c = follower.connect()) {
                c.setAutoCommit(false);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                while (!Thread.currentThread().isInterrupted()) {
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT (SELECT sum(balance) FROM accounts),"
                            + " (SELECT count(*) FROM seq), (SELECT coalesce(max(n), 0) FROM seq)")) {
                        rs.next();
                        if (rs.getLong(1) != TOTAL) {
                            violations.add("total " + rs.getLong(1) + " != " + TOTAL);
                        }
                        if (rs.getLong(2) != rs.getLong(3)) {
                            violations.add(rs.getLong(2) + " sequence rows but max " + rs.getLong(3));
                        }
                    }
                    c.commit();
                }
            } catch (SQLException e) {
                violations.add("reading the follower: " + e);
            }
        }, "failover-invariants");
        t.start();
        return t;
    }
}
