package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Lsn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Capture killed with SIGKILL mid-workload and restarted: every committed transaction is on the stream. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CaptureCrashIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static LocalKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start("crash-primary", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE seq (id bigint PRIMARY KEY, payload text)");
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void killedCaptureLosesNoCommittedTransactionAndReplaysAreDetectable() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
        Path state = dir.resolve("state");
        List<Long> committedXids = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                for (long i = 1; writing.get(); i++) {
                    // Several rows per transaction, so a kill can land inside one.
                    for (int r = 0; r < 5; r++) {
                        st.execute("INSERT INTO seq VALUES (" + (i * 10 + r) + ", repeat('p', 200))");
                    }
                    long xid;
                    try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
                        rs.next();
                        xid = Long.parseLong(rs.getString(1)) & 0xFFFFFFFFL;
                    }
                    c.commit();
                    committedXids.add(xid);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "workload");

        Process first = CaptureProcess.spawn(url, kafka.bootstrapServers(), "crash", state, "public.seq", dir.resolve("first.log"));
        awaitReady(first, dir.resolve("first.log"));
        writer.start();
        try (StreamReader reader = new StreamReader(kafka.bootstrapServers(), "crash")) {
            reader.until(Duration.ofSeconds(60), "200 frames before the kill", ev -> StreamReader.committedFrames(ev) >= 200);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no final offset commit
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long onStreamAtKill = StreamReader.committedFrames(reader.events);

            Process second = CaptureProcess.spawn(url, kafka.bootstrapServers(), "crash", state, "public.seq", dir.resolve("second.log"));
            try {
                awaitReady(second, dir.resolve("second.log"));
                Await.until(Duration.ofSeconds(30), () -> "writes after the restart", () -> committedXids.size() > onStreamAtKill + 200);
                writing.set(false);
                writer.join(30_000);
                Set<Long> expected = new LinkedHashSet<>(committedXids);
                reader.until(Duration.ofSeconds(90), "every committed transaction on the stream", ev ->
                        StreamReader.frames(ev).stream().map(f -> f.get(0).header().xid()).collect(java.util.stream.Collectors.toSet())
                                .containsAll(expected));

                List<List<ChangeEvent>> frames = StreamReader.frames(reader.events);
                // A consumer that skips frames at or below the last commit LSN it applied sees each transaction once, in order.
                Lsn applied = Lsn.ZERO;
                List<Long> once = new ArrayList<>();
                Map<Lsn, List<ChangeEvent>> firstCopy = new HashMap<>();
                int replays = 0;
                for (List<ChangeEvent> f : frames) {
                    Lsn lsn = f.get(0).header().commitLsn();
                    if (lsn.isAtOrBefore(applied)) {
                        replays++;
                        // A restarted capture announces table shapes again; the rows are the same.
                        assertThat(rows(f)).as("a replayed frame's rows equal the first copy's").isEqualTo(rows(firstCopy.get(lsn)));
                        continue;
                    }
                    applied = lsn;
                    firstCopy.put(lsn, f);
                    once.add(f.get(0).header().xid());
                    assertThat(rows(f)).hasSize(5);
                }
                assertThat(once).containsExactlyElementsOf(committedXids);
                System.out.printf("crash test: %d transactions, %d on the stream at the kill, %d replayed frames%n",
                        committedXids.size(), onStreamAtKill, replays);
            } finally {
                second.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            writing.set(false);
        }
    }

    @Test
    void killedMidSnapshotAndInsideALargeTransactionTheStreamEndsWithEveryRowOnce() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
        Path state = dir.resolve("state-snap");
        pg.execute("CREATE TABLE snap (id bigint PRIMARY KEY, payload text)",
                "INSERT INTO snap SELECT g, md5(g::text) FROM generate_series(1, 300000) g");
        try (StreamReader reader = new StreamReader(kafka.bootstrapServers(), "snapkill")) {
            Process first = CaptureProcess.spawn(url, kafka.bootstrapServers(), "snapkill", state, "public.snap", true,
                    dir.resolve("snap-1.log"));
            reader.until(Duration.ofSeconds(90), "the snapshot under way", ev -> StreamReader.insertedRows(ev) > 20_000);
            first.destroyForcibly(); // SIGKILL in the middle of the snapshot
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(StreamReader.committedFrames(reader.events)).as("the snapshot was cut short").isZero();

            pg.execute("INSERT INTO snap SELECT g, 'between' FROM generate_series(1000001, 1100000) g");
            Process second = CaptureProcess.spawn(url, kafka.bootstrapServers(), "snapkill", state, "public.snap", true,
                    dir.resolve("snap-2.log"));
            try {
                awaitReady(second, dir.resolve("snap-2.log"));
                reader.until(Duration.ofSeconds(120), "the second snapshot, whole", ev -> StreamReader.committedFrames(ev) >= 1);
                pg.execute("INSERT INTO snap SELECT g, 'large' FROM generate_series(2000001, 2200000) g");
                // SIGKILL while the large transaction's frame is being produced: BEGIN on the stream, no COMMIT.
                reader.until(Duration.ofSeconds(120), "the large transaction's frame under way", ev -> {
                    long begins = ev.stream().filter(e -> e instanceof ChangeEvent.Begin).count();
                    return begins > StreamReader.committedFrames(ev) + 1 || begins >= 3 && ev.get(ev.size() - 1) instanceof ChangeEvent.Insert;
                });
            } finally {
                second.destroyForcibly();
                assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            System.out.printf("snapshot crash test: at the second kill %d events read, %d BEGIN, %d COMMIT%n", reader.events.size(),
                    reader.events.stream().filter(e -> e instanceof ChangeEvent.Begin).count(), StreamReader.committedFrames(reader.events));
            Process third = CaptureProcess.spawn(url, kafka.bootstrapServers(), "snapkill", state, "public.snap", true,
                    dir.resolve("snap-3.log"));
            try {
                awaitReady(third, dir.resolve("snap-3.log"));
                long expected = Long.parseLong(pg.queryScalar("SELECT count(*) FROM snap"));
                reader.until(Duration.ofSeconds(120), "every row in a whole frame", ev -> ids(ev).size() == expected);
                List<Long> ids = ids(reader.events);
                assertThat(ids).as("each row once, in whole frames skipped by commit LSN as a consumer does")
                        .hasSize((int) expected).doesNotHaveDuplicates();
                assertThat(ids).contains(1L, 300000L, 1000001L, 1100000L, 2000001L, 2200000L);
            } finally {
                third.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void killedWhileCatchingUpThroughSqlTheStreamEndsWithEveryTransactionOnce() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
        Path state = dir.resolve("state-behind");
        pg.execute("CREATE TABLE behind (id bigint PRIMARY KEY, payload text)");
        try (StreamReader reader = new StreamReader(kafka.bootstrapServers(), "behind")) {
            Process first = CaptureProcess.spawn(url, kafka.bootstrapServers(), "behind", state, "public.behind",
                    dir.resolve("behind-1.log"));
            awaitReady(first, dir.resolve("behind-1.log")); // the slot exists
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            // 30,000 transactions while capture is down: tens of MB of WAL, read back through SQL in chunks.
            int transactions = 30_000;
            pg.execute("DO $$ BEGIN FOR i IN 0.." + (transactions - 1) + " LOOP"
                    + " INSERT INTO behind SELECT i * 5 + g, repeat('x', 100) FROM generate_series(0, 4) g; COMMIT;"
                    + " END LOOP; END $$");
            Lsn end = Lsn.parse(pg.queryScalar("SELECT pg_current_wal_flush_lsn()::text"));

            Process second = CaptureProcess.spawn(url, kafka.bootstrapServers(), "behind", state, "public.behind",
                    dir.resolve("behind-2.log"));
            try {
                reader.until(Duration.ofSeconds(90), "the backlog under way", ev -> StreamReader.committedFrames(ev) >= 1_000);
            } finally {
                second.destroyForcibly(); // SIGKILL while catching up
                assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(Lsn.parse(pg.queryScalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                    + " WHERE slot_name = 'slot_behind'"))).as("killed before the slot reached the backlog's end").isLessThan(end);
            assertThat(read(dir.resolve("behind-2.log"))).as("it was not reading through the walsender yet")
                    .doesNotContain("streaming slot");
            System.out.printf("catch-up crash test: %d of %d transactions on the stream at the kill%n",
                    StreamReader.committedFrames(reader.events), transactions);

            Process third = CaptureProcess.spawn(url, kafka.bootstrapServers(), "behind", state, "public.behind",
                    dir.resolve("behind-3.log"));
            try {
                awaitReady(third, dir.resolve("behind-3.log"));
                reader.until(Duration.ofSeconds(120), "every row", ev -> ids(ev).size() >= 5 * transactions);
                assertThat(ids(reader.events)).as("each row once, in whole frames skipped by commit LSN as a consumer does")
                        .hasSize(5 * transactions).doesNotHaveDuplicates();
                assertThat(read(dir.resolve("behind-3.log"))).contains("caught up through SQL");
            } finally {
                third.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void killedWhileALargeTransactionIsStreamedInProgressTheStreamEndsWithItOnceWithoutItsRolledBackPart() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
        Path state = dir.resolve("state-inflight");
        // The primary streams a transaction in progress once it holds 64 kB of its changes.
        pg.execute("ALTER SYSTEM SET logical_decoding_work_mem = '64kB'", "SELECT pg_reload_conf()",
                "CREATE TABLE inflight (id bigint PRIMARY KEY, payload text)");
        try (StreamReader reader = new StreamReader(kafka.bootstrapServers(), "inflight");
             Connection c = pg.connect(); Statement st = c.createStatement()) {
            Process first = CaptureProcess.spawn(url, kafka.bootstrapServers(), "inflight", state, "public.inflight",
                    dir.resolve("inflight-1.log"));
            awaitReady(first, dir.resolve("inflight-1.log"));
            c.setAutoCommit(false);
            st.execute("INSERT INTO inflight SELECT g, repeat('a', 100) FROM generate_series(1, 20000) g");
            Await.until(Duration.ofSeconds(60), () -> "capture holding the transaction streamed in progress",
                    () -> spooledBytes(state.resolve("spill")) > 100_000);
            first.destroyForcibly(); // SIGKILL while it holds the uncommitted transaction's blocks
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            st.execute("SAVEPOINT undone");
            st.execute("INSERT INTO inflight SELECT g, 'undone' FROM generate_series(20001, 30000) g");
            st.execute("ROLLBACK TO SAVEPOINT undone");
            st.execute("INSERT INTO inflight SELECT g, repeat('b', 100) FROM generate_series(30001, 40000) g");
            c.commit();
            assertThat(StreamReader.committedFrames(reader.events)).as("nothing of it on the stream before the restart").isZero();

            Process second = CaptureProcess.spawn(url, kafka.bootstrapServers(), "inflight", state, "public.inflight",
                    dir.resolve("inflight-2.log"));
            try {
                awaitReady(second, dir.resolve("inflight-2.log"));
                reader.until(Duration.ofSeconds(120), "the transaction's frame", ev -> StreamReader.committedFrames(ev) >= 1);
                List<Long> ids = ids(reader.events);
                assertThat(ids).as("each row once, the rolled-back subtransaction's rows absent").hasSize(30_000)
                        .doesNotHaveDuplicates().noneMatch(id -> id > 20_000 && id <= 30_000);
                Await.until(Duration.ofSeconds(30), () -> "the spool file removed once the frame is on Kafka",
                        () -> spooledBytes(state.resolve("spill")) == 0);
            } finally {
                second.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            pg.execute("ALTER SYSTEM RESET logical_decoding_work_mem", "SELECT pg_reload_conf()");
        }
    }

    /** Bytes in the spool files of streamed transactions capture holds. */
    private static long spooledBytes(Path spill) throws java.io.IOException {
        if (!Files.isDirectory(spill)) {
            return 0;
        }
        try (java.util.stream.Stream<Path> files = Files.list(spill)) {
            return files.filter(p -> p.getFileName().toString().startsWith("streamed-")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The ids a consumer applies: rows of whole frames, each commit LSN once. */
    private static List<Long> ids(List<ChangeEvent> events) {
        List<Long> ids = new ArrayList<>();
        Lsn applied = Lsn.ZERO;
        for (List<ChangeEvent> f : StreamReader.frames(events)) {
            Lsn lsn = f.get(0).header().commitLsn();
            if (lsn.isAtOrBefore(applied)) {
                continue;
            }
            applied = lsn;
            StreamReader.inserts(f).forEach(e -> ids.add(Long.parseLong(io.sluice.format.SqlText.of(e.after().get("id")))));
        }
        return ids;
    }

    /** The rows of a frame with its xid (positions shift when a restarted capture re-announces shapes). */
    private static List<Object> rows(List<ChangeEvent> frame) {
        return StreamReader.inserts(frame).stream()
                .map(e -> List.of(e.header().xid(), e.after())).map(o -> (Object) o).toList();
    }

    private static void awaitReady(Process p, Path log) {
        Await.until(Duration.ofSeconds(90), () -> "capture process to print READY; its log:\n" + read(log), () -> {
            if (!p.isAlive()) {
                throw new AssertionError("capture process exited with " + p.exitValue() + ":\n" + read(log));
            }
            return read(log).contains("READY");
        });
    }

    private static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
