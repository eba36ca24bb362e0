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

    /** The rows of a frame with its xid (positions shift when a restarted capture re-announces shapes). */
    private static List<Object> rows(List<ChangeEvent> frame) {
        return frame.stream().filter(e -> e instanceof ChangeEvent.Insert)
                .map(e -> List.of(e.header().xid(), ((ChangeEvent.Insert) e).after())).map(o -> (Object) o).toList();
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
