package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded random run of DDL and DML on the primary ({@link RandomWorkload}), captured with its DDL triggers and applied
 * onto a follower — the run's first transactions, up to a fifth of them, made before capture starts and copied by its
 * snapshot — capture and the applier each stopped and started again at random points between transactions:
 * afterwards the follower has every table the primary has and no other, each with the primary's columns and rows, and
 * the enum's labels. The seed and the number of transactions are fixed here ({@code -Dsluice.random.seed},
 * {@code -Dsluice.random.transactions} run others: docs/testing.md); a failure names both.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class RandomDdlIT {

    @TempDir
    static Path dir;
    static Stack stack;

    @BeforeAll
    static void start() throws SQLException {
        stack = new Stack(dir, 1);
        // The least the server allows: a transaction of a few thousand rows is streamed to capture while in progress.
        stack.primary.execute("ALTER SYSTEM SET logical_decoding_work_mem = '64kB'", "SELECT pg_reload_conf()");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aRandomRunOfSchemaChangesAndRowsWithRestartsLeavesTheFollowerEqual() throws Exception {
        long seed = Long.getLong("sluice.random.seed", 1);
        int transactions = Integer.getInteger("sluice.random.transactions", 150);
        Random restarts = new Random(~seed);
        // Some of the run before capture's first start, which then copies the tables as they are by then (its snapshot).
        int before = restarts.nextInt(transactions / 5 + 1);
        String run = "seed " + seed + ", " + transactions + " transactions, " + before + " of them before the snapshot";
        CaptureConfig config = stack.capture("rnd", List.of(), before > 0);
        try (Connection c = stack.primary.connect(); Connection second = stack.primary.connect()) {
            RandomWorkload.prepare(c);
            RandomWorkload workload = new RandomWorkload(seed, c, second);
            for (int i = 0; i < before; i++) {
                workload.transaction();
            }
            workload.settle();
            CaptureService capture = new CaptureService(config);
            StreamApplier applier = new StreamApplier(stack.applier("rnd", 0));
            try {
                capture.start();
                applier.start();
                for (int i = before; i < transactions; i++) {
                    workload.transaction();
                    if (restarts.nextInt(20) == 0) {
                        capture.close();
                        capture = new CaptureService(config);
                        capture.start();
                    }
                    if (restarts.nextInt(20) == 0) {
                        applier.close();
                        applier = new StreamApplier(stack.applier("rnd", 0));
                        applier.start();
                    }
                    assertRunning(capture, applier, run + ", after transaction " + (i + 1));
                }
                stack.primary.execute("CREATE TABLE rnd_done (id integer PRIMARY KEY)", "INSERT INTO rnd_done VALUES (1)");
                StreamApplier a = applier;
                Await.until(Duration.ofSeconds(120), () -> "the follower to reach the run's end (" + run + "; applier "
                        + a.state() + " " + a.failure().map(Throwable::getMessage).orElse("") + ")",
                        () -> "1".equals(stack.followers.get(0).queryScalar("SELECT max(id) FROM rnd_done")));
                assertRunning(capture, applier, run);
                System.out.println("random run: " + run + ": " + workload.tally());
            } finally {
                applier.close();
                capture.close();
            }
        }
        LocalPostgres follower = stack.followers.get(0);
        List<String> tables = tables(stack.primary);
        assertThat(tables(follower)).as("the follower's tables (" + run + ")").isEqualTo(tables);
        for (String t : tables) {
            assertThat(follower.queryScalar(columns(t))).as("the columns of " + t + " (" + run + ")")
                    .isEqualTo(stack.primary.queryScalar(columns(t)));
            stack.awaitEqual(0, t, Duration.ofSeconds(30));
        }
        String labels = ApplierIT.labelsOf("rnd.mood");
        assertThat(follower.queryScalar(labels)).as("the enum's labels (" + run + ")").isEqualTo(stack.primary.queryScalar(labels));
    }

    private static void assertRunning(CaptureService capture, StreamApplier applier, String when) {
        assertThat(capture.state()).as(() -> "capture (" + when + "): " + capture.failure()).isNotEqualTo(CaptureService.State.FAILED);
        assertThat(applier.state()).as(() -> "applier (" + when + "): " + applier.failure()).isNotEqualTo(StreamApplier.State.FAILED);
    }

    /** The workload's tables as capture publishes them: a partitioned table as one, its partitions' rows in it. */
    private static List<String> tables(LocalPostgres pg) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = pg.connect(); var st = c.createStatement(); var rs = st.executeQuery(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname IN ('rnd', 'rnd2') AND c.relkind IN ('r', 'p')"
                        + " AND NOT c.relispartition ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String columns(String table) {
        return "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL'"
                + " ELSE '' END, ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '" + table + "'::regclass"
                + " AND attnum > 0 AND NOT attisdropped";
    }
}
