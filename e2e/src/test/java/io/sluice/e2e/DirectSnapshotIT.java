package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.DirectSeed;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The initial snapshot by the direct path (docs/capture.md): capture copies the rows straight into
 * the seeded follower, a large table in parts, while the primary keeps writing; the stream carries
 * the rest. A follower that was not seeded stops at the snapshot frame instead of going on without
 * its rows, and a follower table that already holds rows is refused before anything is committed.
 */
class DirectSnapshotIT {

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() {
        stack = new Stack(dir, 3);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static CaptureService directCapture(String source, String table, int follower) {
        return new CaptureService(stack.capture(source, List.of("public." + table), true), null, Clock.systemUTC(),
                List.of(new DirectSeed(stack.applier(source, follower))));
    }

    @Test
    void aSeededFollowerHoldsTheSnapshotAndTheStreamAfterItWhileAnUnseededOneStopsNamingTheFrame() throws Exception {
        // ~1,800 pages: more than DirectSnapshotCopy.SPLIT_PAGES, so it is copied in parts.
        stack.primary.execute("CREATE TABLE big (id int PRIMARY KEY, n int, note text, filler char(200))",
                "INSERT INTO big SELECT g, g % 97, CASE WHEN g % 7 = 0 THEN NULL ELSE 'row ' || g || E'\\ttab\\\\' END, ''"
                        + " FROM generate_series(1, 60000) g");
        AtomicBoolean on = new AtomicBoolean(true);
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> {
            try (Connection c = stack.primary.connect();
                 PreparedStatement up = c.prepareStatement("UPDATE big SET n = n + 1, note = 'updated' WHERE id = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO big (id, n, note, filler) VALUES (?, 0, 'new', '')")) {
                int next = 60001;
                while (on.get()) {
                    up.setInt(1, 1 + ThreadLocalRandom.current().nextInt(60000));
                    up.executeUpdate();
                    ins.setInt(1, next++);
                    ins.executeUpdate();
                    writes.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, "writer");
        writer.start();
        Await.until(Duration.ofSeconds(30), () -> "the writer to start", () -> writes.get() > 50);
        try (CaptureService capture = directCapture("direct", "big", 0);
             StreamApplier seeded = new StreamApplier(stack.applier("direct", 0));
             StreamApplier unseeded = new StreamApplier(stack.applier("direct", 1))) {
            capture.start();
            Await.until(Duration.ofSeconds(120), () -> "the direct snapshot's frame on the stream (capture: "
                            + capture.failure().map(Throwable::getMessage).orElse("running") + ")",
                    () -> capture.lastCommittedLsn().value() != 0 || capture.state() == CaptureService.State.FAILED);
            assertThat(capture.failure()).as("capture's failure").isEmpty();
            long atSnapshot = writes.get();
            Await.until(Duration.ofSeconds(30), () -> "writes after the snapshot", () -> writes.get() > atSnapshot + 200);
            seeded.start();
            unseeded.start();
            on.set(false);
            writer.join();
            Lsn before = Lsn.parse(stack.primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
            stack.primary.execute("UPDATE big SET note = 'last' WHERE id = 1");
            Await.until(Duration.ofSeconds(120), () -> "the seeded follower to apply the last transaction ("
                            + seeded.failure().map(Throwable::getMessage).orElse("running") + ")",
                    () -> seeded.applied().map(a -> a.commitLsn().isAfter(before)).orElse(false)
                            || seeded.state() == StreamApplier.State.FAILED);
            stack.awaitEqual(0, "big", Duration.ofSeconds(30));
            assertThat(stack.followers.get(0).queryScalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'big'::regclass"
                    + " AND contype = 'p'")).as("the seeded table's primary key").isEqualTo("1");

            Await.until(Duration.ofSeconds(60), () -> "the unseeded follower's applier to stop",
                    () -> unseeded.state() == StreamApplier.State.FAILED);
            assertThat(unseeded.failure().orElseThrow().getMessage())
                    .contains("sluice.direct.stream-0@").contains("direct path").contains("[f0]").contains("f1");
            assertThat(stack.followers.get(1).queryScalar("SELECT count(*) FROM sluice.watermark WHERE source = 'direct'"))
                    .as("the unseeded follower's watermark").isEqualTo("0");
            assertThat(stack.followers.get(1).queryScalar("SELECT to_regclass('public.big') IS NULL"))
                    .as("nothing of the frame committed on the unseeded follower").isEqualTo("t");
        }
    }

    @Test
    void aFollowerTableThatHoldsRowsIsRefusedAndTheStreamGetsNoSnapshot() throws Exception {
        stack.primary.execute("CREATE TABLE held (id int PRIMARY KEY, v text)", "INSERT INTO held VALUES (1, 'primary')");
        stack.followers.get(2).execute("CREATE TABLE held (id int PRIMARY KEY, v text)", "INSERT INTO held VALUES (9, 'follower')");
        try (CaptureService capture = directCapture("held", "held", 2)) {
            capture.start();
            Await.until(Duration.ofSeconds(60), () -> "capture to refuse the follower",
                    () -> capture.state() == CaptureService.State.FAILED);
            assertThat(capture.failure().orElseThrow().getMessage()).contains("f2").contains("public.held")
                    .contains("already holds rows");
            assertThat(capture.lastCommittedLsn()).as("the snapshot frame never committed").isEqualTo(Lsn.ZERO);
        }
        assertThat(stack.followers.get(2).rowsAsText("held")).as("the follower's own row, untouched").hasSize(1);
        assertThat(stack.followers.get(2).queryScalar("SELECT count(*) FROM sluice.watermark WHERE source = 'held'"))
                .isEqualTo("0");
    }
}
