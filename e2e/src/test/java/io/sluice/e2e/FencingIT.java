package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.format.ChangeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One applier per follower and source, one capture per source, and capture resuming from the
 * stream — each under a live workload on a table without a key (like {@code pgbench_history}),
 * where nothing but these mechanisms stops a transaction from being applied twice.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FencingIT {

    @TempDir
    static Path dir;
    static Stack stack;

    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicLong written = new AtomicLong();
    private Thread writer;

    @BeforeAll
    static void start() {
        stack = new Stack(dir, 1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @AfterEach
    void stopWritingAfterAFailure() throws InterruptedException {
        if (writer != null) {
            stopWriting();
        }
    }

    @Test
    void aSecondApplierForTheSameFollowerIsRefusedNamingTheFirst() throws Exception {
        stack.primary.execute("CREATE TABLE hist_refused (tid int, delta int, at timestamptz DEFAULT clock_timestamp())");
        try (CaptureService capture = new CaptureService(stack.capture("refused", List.of("public.hist_refused"), false));
             StreamApplier first = new StreamApplier(stack.applier("refused", 0));
             StreamApplier second = new StreamApplier(stack.applier("refused", 0))) {
            capture.start();
            first.start();
            startWriting("hist_refused");
            awaitFollowerRows("hist_refused", 200);
            assertThatThrownBy(second::start).isInstanceOf(ApplierException.class)
                    .hasMessageContaining("follower f0 already has an applier for source refused")
                    .hasMessageContaining("the applier of follower 'f0' on host ")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid() + ", since ");
            awaitFollowerRows("hist_refused", written.get() + 200);
            stopWritingAndAwaitEqual("hist_refused");
            assertThat(first.state()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    /**
     * The first applier's lock connection is terminated by hand, so a second one starts while the
     * first still runs, unaware: only the watermark's compare-and-set keeps them from applying
     * the same transactions twice. One of them stops, saying why; the follower ends equal.
     */
    @Test
    void withTheLockTakenAwayTheWatermarkCheckAloneKeepsTheFollowerEqual() throws Exception {
        stack.primary.execute("CREATE TABLE hist_stolen (tid int, delta int, at timestamptz DEFAULT clock_timestamp())");
        try (CaptureService capture = new CaptureService(stack.capture("stolen", List.of("public.hist_stolen"), false));
             StreamApplier first = new StreamApplier(stack.applier("stolen", 0));
             StreamApplier second = new StreamApplier(stack.applier("stolen", 0))) {
            capture.start();
            first.start();
            startWriting("hist_stolen");
            awaitFollowerRows("hist_stolen", 200);
            // With a timeout, pg_terminate_backend returns once the backend is gone (and its lock with it),
            // not when the signal is sent: the second applier must find the lock free.
            assertThat(stack.followers.get(0).queryScalar("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))"
                    + " FROM pg_stat_activity WHERE application_name = 'sluice-applier-lock stolen/f0'")).isEqualTo("1");
            second.start();
            Await.until(Duration.ofSeconds(60), () -> "one of the two appliers to stop (first " + first.state() + ", second "
                    + second.state() + ")", () -> first.state() == StreamApplier.State.FAILED
                    || second.state() == StreamApplier.State.FAILED);
            StreamApplier stopped = first.state() == StreamApplier.State.FAILED ? first : second;
            StreamApplier survivor = stopped == first ? second : first;
            assertThat(stopped.failure().orElseThrow().getMessage())
                    .containsAnyOf("is no longer where this applier last saw it", "lost its lock for source stolen");
            stopWritingAndAwaitEqual("hist_stolen");
            assertThat(survivor.state()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    @Test
    void aSecondCaptureOfTheSameSourceIsRefusedAndTheStreamHasEveryTransactionOnce() throws Exception {
        stack.primary.execute("CREATE TABLE hist_twice (tid int, delta int, at timestamptz DEFAULT clock_timestamp())");
        CaptureConfig first = stack.capture("twice", List.of("public.hist_twice"), false);
        CaptureConfig second = withStateDirectory(first, dir.resolve("capture-twice-elsewhere"));
        try (CaptureService running = new CaptureService(first); CaptureService another = new CaptureService(second)) {
            running.start();
            startWriting("hist_twice");
            awaitStreamInserts("twice", 200);
            assertThatThrownBy(another::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("capture of slot slot_twice is already running: 'sluice-capture twice host=")
                    .hasMessageContaining("pid=" + ProcessHandle.current().pid());
            awaitStreamInserts("twice", written.get() + 200);
            stopWriting();
            long rows = Long.parseLong(stack.primary.queryScalar("SELECT count(*) FROM hist_twice"));
            awaitStreamInserts("twice", rows);
            assertThat(running.state()).isEqualTo(CaptureService.State.RUNNING);
            assertEveryTransactionOnce("twice", rows);
        }
    }

    /**
     * Capture stops mid-workload and starts again on "a new machine": its state directory is gone.
     * It resumes from the stream: the rows written while it was down arrive, the snapshot is not
     * taken again, and no transaction is on the stream twice.
     */
    @Test
    void captureWithItsLocalStateDeletedResumesFromTheStream() throws Exception {
        stack.primary.execute("CREATE TABLE hist_moved (tid int, delta int, at timestamptz DEFAULT clock_timestamp())",
                "INSERT INTO hist_moved (tid, delta) SELECT g, g FROM generate_series(1, 500) g");
        CaptureConfig cfg = stack.capture("moved", List.of("public.hist_moved"), true);
        try (StreamApplier applier = new StreamApplier(stack.applier("moved", 0))) {
            try (CaptureService capture = new CaptureService(cfg)) {
                capture.start();
                applier.start();
                startWriting("hist_moved");
                awaitFollowerRows("hist_moved", 1000);
            }
            awaitPrimaryRows("hist_moved", count(stack.primary, "hist_moved") + 200); // written while no capture runs
            deleteRecursively(cfg.stateDirectory());
            try (CaptureService moved = new CaptureService(withStateDirectory(cfg, dir.resolve("capture-moved-new-machine")))) {
                moved.start();
                awaitFollowerRows("hist_moved", written.get() + 200);
                stopWritingAndAwaitEqual("hist_moved");
                assertThat(moved.state()).isEqualTo(CaptureService.State.RUNNING);
            }
            assertThat(applier.state()).isEqualTo(StreamApplier.State.RUNNING);
        }
        long rows = Long.parseLong(stack.primary.queryScalar("SELECT count(*) FROM hist_moved"));
        assertEveryTransactionOnce("moved", rows);
    }

    /** One insert per transaction, ~300 a second, until stopped. */
    private void startWriting(String table) {
        writing.set(true);
        written.set(0);
        writer = new Thread(() -> {
            try (Connection c = stack.primary.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (tid, delta) VALUES (?, ?)")) {
                long next = System.nanoTime();
                for (int i = 1; writing.get(); i++) {
                    ps.setInt(1, i % 10);
                    ps.setInt(2, i);
                    ps.executeUpdate();
                    written.incrementAndGet();
                    next += 3_333_333;
                    LockSupport.parkNanos(next - System.nanoTime()); // pacing the workload, not waiting for a result
                }
            } catch (Exception e) {
                throw new IllegalStateException("the workload on " + table + " failed", e);
            }
        }, "workload-" + table);
        writer.start();
    }

    private void stopWriting() throws InterruptedException {
        writing.set(false);
        writer.join();
        writer = null;
    }

    private void stopWritingAndAwaitEqual(String table) throws InterruptedException {
        stopWriting();
        stack.awaitEqual(0, table, Duration.ofSeconds(90));
    }

    private static long count(io.sluice.embedded.LocalPostgres pg, String table) throws Exception {
        return Long.parseLong(pg.queryScalar("SELECT count(*) FROM " + table));
    }

    private static void awaitFollowerRows(String table, long rows) {
        Await.until(Duration.ofSeconds(60), () -> rows + " rows of " + table + " on the follower",
                () -> count(stack.followers.get(0), table) >= rows);
    }

    private static void awaitPrimaryRows(String table, long rows) {
        Await.until(Duration.ofSeconds(60), () -> rows + " rows of " + table + " on the primary",
                () -> count(stack.primary, table) >= rows);
    }

    private static void awaitStreamInserts(String source, long rows) {
        Await.until(Duration.ofSeconds(60), () -> rows + " inserts on the stream of " + source,
                () -> insertedRows(streamEvents(source)) >= rows);
    }

    /** Every commit LSN once on the stream, and exactly the primary's rows as inserts. */
    private static void assertEveryTransactionOnce(String source, long rows) {
        List<ChangeEvent> events = streamEvents(source);
        Map<String, Integer> commits = new HashMap<>();
        events.stream().filter(e -> e instanceof ChangeEvent.Commit)
                .forEach(e -> commits.merge(e.header().commitLsn().toString(), 1, Integer::sum));
        assertThat(commits.entrySet().stream().filter(c -> c.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("commit LSNs on the stream more than once").isEmpty();
        assertThat(insertedRows(events)).as("inserts on the stream").isEqualTo(rows);
    }

    /** Rows the events insert: one per insert event, a copy event's (the snapshot) each. */
    private static long insertedRows(List<ChangeEvent> events) {
        return events.stream().mapToLong(e -> e instanceof ChangeEvent.Insert ? 1
                : e instanceof io.sluice.format.CopyEvent c ? c.rows() : 0).sum();
    }

    private static List<ChangeEvent> streamEvents(String source) {
        return Stack.streamEvents(stack.kafka.bootstrapServers(), source);
    }

    private static CaptureConfig withStateDirectory(CaptureConfig c, Path state) {
        return new CaptureConfig(c.sourceId(), c.jdbcUrl(), c.connection(), c.kafka(), c.slotName(), c.publicationName(),
                c.tables(), c.heartbeatInterval(), c.pollInterval(), c.snapshot(), state, c.debezium());
    }

    private static void deleteRecursively(Path path) throws Exception {
        if (Files.exists(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
