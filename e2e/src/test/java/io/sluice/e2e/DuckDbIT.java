package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.verify.DuckDbVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.client.SluiceClient;
import io.sluice.format.ConsistencyToken;
import io.sluice.embedded.Await;
import io.sluice.format.AppliedOffset;
import io.sluice.format.Lsn;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Rule;
import io.sluice.monitor.Status;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A follower of kind {@code duckdb} under crashes, a second applier and values DuckDB cannot hold. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DuckDbIT {

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
     * A workload inserts, updates and deletes keyed rows and appends to a table without a key (where
     * a doubled insert would stay as a second, equal row) while the applier, a process of its own,
     * is SIGKILLed three times; a second applier process started beside the last one is refused by
     * the file's lock. Both tables then equal the primary's, and the lag monitor's watermark (read
     * from the applier group's offset) is the one in the DuckDB file.
     */
    @Test
    void anApplierKilledMidApplyLosesAndDoublesNothing() throws Exception {
        stack.primary.execute("CREATE TABLE orders (id bigint PRIMARY KEY, updates int NOT NULL DEFAULT 0, note text, placed timestamptz)",
                "CREATE TABLE ledger (tx bigint, amount numeric(12,2))", "ALTER TABLE ledger REPLICA IDENTITY FULL");
        Path file = dir.resolve("olap.duckdb");
        String url = "jdbc:duckdb:" + file;
        try (CaptureService capture = new CaptureService(stack.capture("dk", List.of("public.orders", "public.ledger"), true))) {
            capture.start();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicReference<String> broken = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try (Connection c = stack.primary.connect(); Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    for (long t = 1; running.get(); t++) {
                        if (t % 50 == 0) {
                            // Kept within 500 transactions of what is applied: every round finds work to kill
                            // mid-way, and the last applier a backlog it can finish.
                            long written = t;
                            Await.until(Duration.ofSeconds(120), () -> "the appliers to come within 500 transactions of the writer",
                                    () -> !running.get() || written - appliedTransactions() < 500);
                        }
                        int rows = t % 40 == 0 ? 300 : 3;
                        for (int r = 0; r < rows; r++) {
                            st.execute("INSERT INTO orders (id, note, placed) VALUES (" + (t * 1000 + r) + ", 'order " + t
                                    + "', now())");
                        }
                        st.execute("INSERT INTO ledger VALUES (" + t + ", " + t + ".25)");
                        st.execute("UPDATE orders SET updates = updates + 1 WHERE id = " + (t * 1000));
                        if (t > 2) {
                            st.execute("UPDATE orders SET updates = updates + 1, note = note || '!' WHERE id = " + ((t - 2) * 1000));
                            st.execute("DELETE FROM orders WHERE id = " + ((t - 2) * 1000 + 1));
                        }
                        if (t % 7 == 0) {
                            st.execute("UPDATE ledger SET amount = amount + 1 WHERE tx = " + (t - 3));
                        }
                        c.commit();
                    }
                } catch (Exception | AssertionError e) {
                    broken.compareAndSet(null, "writer: " + e);
                }
            }, "orders");
            writer.start();
            try {
                for (int round = 0; round < 3; round++) {
                    Path log = dir.resolve("duckdb-applier-" + round + ".log");
                    long before = appliedTransactions();
                    Process p = ApplierProcess.spawn("dk", "olap", url, stack.kafka.bootstrapServers(), 50,
                            ApplierConfig.Kind.DUCKDB, log);
                    int n = round;
                    try {
                        Await.until(Duration.ofSeconds(90), () -> "applier round " + n + " to commit something; log: " + Stack.log(log),
                                () -> appliedTransactions() > before + 20);
                    } finally {
                        p.destroyForcibly(); // SIGKILL: inside or between DuckDB transactions (and never left holding the file)
                    }
                    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                }
            } finally {
                running.set(false);
                writer.join(30_000);
            }
            assertThat(broken.get()).isNull();
            Lsn end = Lsn.parse(stack.primary.queryScalar("SELECT pg_current_wal_lsn()::text"));
            stack.primary.execute("INSERT INTO orders (id, note) VALUES (-1, 'last')");
            Path log = dir.resolve("duckdb-applier-last.log");
            Process last = ApplierProcess.spawn("dk", "olap", url, stack.kafka.bootstrapServers(), 50, ApplierConfig.Kind.DUCKDB, log);
            try {
                Await.until(Duration.ofSeconds(120), () -> "the last applier to apply the last transaction; log: " + Stack.log(log),
                        () -> watermark().map(w -> w.commitLsn().isAfter(end)).orElse(false));
                Path secondLog = dir.resolve("duckdb-applier-second.log");
                Process second = ApplierProcess.spawn("dk", "olap", url, stack.kafka.bootstrapServers(), 50, ApplierConfig.Kind.DUCKDB,
                        secondLog);
                assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the second applier gives up").isTrue();
                assertThat(Stack.log(secondLog)).contains("cannot open DuckDB file").contains("lock");

                try (LagMonitor monitor = new LagMonitor(new MonitorConfig("dk", new MonitorConfig.Endpoint(stack.primary.jdbcUrl(),
                        Stack.superuser()), "slot_dk", kafka(), List.of(MonitorConfig.FollowerTarget.watermarkInKafka("olap",
                        Rule.stalenessDefaults())), Duration.ofMillis(200), Rule.stalenessDefaults(), Rule.slotDefaults(),
                        MonitorConfig.Http.disabled(), MonitorConfig.Webhooks.none()), Clock.systemUTC())) {
                    Status.Follower seen = monitor.evaluate().followers().get(0);
                    assertThat(seen.watermarkLsn()).as("the monitor's watermark of a DuckDB follower")
                            .isEqualTo(watermark().orElseThrow().commitLsn());
                }
            } finally {
                last.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
        Lsn published = watermark().orElseThrow().commitLsn();
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT commit_lsn FROM sluice.watermark WHERE source = 'dk'")) {
            assertThat(rs.next()).isTrue();
            assertThat(Lsn.parse(rs.getString(1))).as("the watermark in the file is at least the one published").isGreaterThanOrEqualTo(published);
        }
        Verifier.Report report = new DuckDbVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()), file, 0,
                Duration.ZERO).verify(List.of("public.orders", "public.ledger"));
        assertThat(report.equal()).as("the DuckDB tables equal the primary's: %s", report).isTrue();
        assertThat(report.tables().get(1).primaryRows()).as("ledger rows").isGreaterThan(60);
    }

    /**
     * Values the primary accepts that DuckDB's types cannot hold stop the applier, naming table,
     * column, both types, the value and the change; the follower keeps what it had, and skipping the
     * transaction (the operator's way past) goes on to the next.
     */
    @Test
    void aValueDuckDbCannotHoldIsRefusedNamingTableColumnAndType() throws Exception {
        stack.primary.execute("CREATE TABLE edges (id int PRIMARY KEY, ts timestamp, n numeric(10,2), iv interval)",
                "INSERT INTO edges VALUES (1, '2026-01-01', 1.50, '1 day')");
        Path file = dir.resolve("edges.duckdb");
        ApplierConfig config = duckDb("de", "edges", file).withGroupLimits(1, ApplierConfig.DEFAULT_MAX_GROUP_EVENTS); // a skip commits alone
        try (CaptureService capture = new CaptureService(stack.capture("de", List.of("public.edges"), true));
             SluiceClient client = SluiceClient.builder("de").primary(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser())).build();
             LagMonitor monitor = new LagMonitor(new MonitorConfig("de", new MonitorConfig.Endpoint(stack.primary.jdbcUrl(),
                     Stack.superuser()), "slot_de", kafka(), List.of(MonitorConfig.FollowerTarget.watermarkInKafka("edges",
                     Rule.stalenessDefaults())), Duration.ofMillis(200), Rule.stalenessDefaults(), Rule.slotDefaults(),
                     MonitorConfig.Http.disabled(), MonitorConfig.Webhooks.none()), Clock.systemUTC())) {
            capture.start();
            monitor.start();
            String message;
            ConsistencyToken refused;
            try (StreamApplier applier = new StreamApplier(config)) {
                applier.start();
                Await.until(Duration.ofSeconds(60), () -> "the snapshot's row on the follower", () -> rows(file) == 1);
                refused = withToken(client, "INSERT INTO edges (id, ts) VALUES (2, '294276-12-31 23:59:59')");
                stack.primary.execute("INSERT INTO edges (id, n) VALUES (3, 'NaN')");
                stack.primary.execute("INSERT INTO edges (id, iv) VALUES (4, 'infinity')");
                stack.primary.execute("INSERT INTO edges VALUES (5, '2026-12-04 10:00:00.000001', -0.01, '-1 mons +00:00:00.000001')");
                message = refusal(applier);
            }
            assertThat(monitor.awaitPosition(refused, "edges", Duration.ofSeconds(3)))
                    .as("a token of the refused transaction: the follower's watermark does not reach it").isFalse();
            List<String> expected = List.of(
                    "column ts of table public.edges (PostgreSQL type timestamp without time zone, DuckDB TIMESTAMP): '294276-12-31 23:59:59'",
                    "column n of table public.edges (PostgreSQL type numeric(10,2), DuckDB DECIMAL(10,2)): 'NaN'",
                    "column iv of table public.edges (PostgreSQL type interval, DuckDB INTERVAL): 'infinity'");
            for (int i = 0; i < expected.size(); i++) {
                assertThat(message).contains("the DuckDB follower refuses " + expected.get(i)).contains("insert on public.edges key (id=" + (i + 2) + ")");
                Matcher at = Pattern.compile("at source LSN (\\S+) xid").matcher(message);
                assertThat(at.find()).as("the change's position in %s", message).isTrue();
                assertThat(rows(file)).as("the follower keeps what it had").isEqualTo(1);
                config = config.withSkip(Lsn.parse(at.group(1)));
                if (i + 1 < expected.size()) {
                    try (StreamApplier applier = new StreamApplier(config)) {
                        applier.start();
                        message = refusal(applier);
                    }
                }
            }
            try (StreamApplier applier = new StreamApplier(config)) {
                applier.start();
                ConsistencyToken updated = withToken(client, "UPDATE edges SET n = n + 1, iv = iv * 2 WHERE id = 5");
                assertThat(monitor.awaitPosition(updated, "edges", Duration.ofSeconds(30)))
                        .as("/await on a DuckDB follower: its watermark reaches the token's transaction").isTrue();
                assertThat(applier.state()).isEqualTo(StreamApplier.State.RUNNING);
                // Value by value, the follower differs from the primary only by the three skipped rows.
                Verifier.Report report = new DuckDbVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()), file, 0,
                        Duration.ZERO).verify(List.of("public.edges"));
                assertThat(report.tables().get(0).differences()).containsExactlyInAnyOrder("key [2]: missing on the follower",
                        "key [3]: missing on the follower", "key [4]: missing on the follower");
                assertThat(rows(file)).isEqualTo(2);
            }
        }
    }

    /** Runs {@code sql} in a transaction committed through the client: its consistency token. */
    private static ConsistencyToken withToken(SluiceClient client, String sql) throws Exception {
        try (Connection c = stack.primary.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
            return client.commit(c, client.session());
        }
    }

    private static String refusal(StreamApplier applier) {
        Await.until(Duration.ofSeconds(60), () -> "the applier to refuse (state " + applier.state() + ")",
                () -> applier.state() == StreamApplier.State.FAILED);
        return applier.failure().orElseThrow().getMessage();
    }

    /**
     * Values no follower can compute — a default computed per row, a USING conversion — reach the DuckDB
     * file as the primary wrote them: the triggers write the rows after the ALTER (before, the applier stopped).
     */
    @Test
    void rowsRewrittenWithValuesNoFollowerCanComputeReachTheFileAsThePrimaryWroteThem() throws Exception {
        stack.primary.execute("CREATE TABLE rewritten (id int PRIMARY KEY, v text)",
                "INSERT INTO rewritten SELECT g, repeat('x', g % 7) FROM generate_series(1, 300) g");
        Path file = dir.resolve("rewritten.duckdb");
        ApplierConfig config = duckDb("dr", "rewritten", file);
        try (CaptureService capture = new CaptureService(stack.capture("dr", List.of("public.rewritten"), true));
             StreamApplier applier = new StreamApplier(config)) {
            capture.start();
            applier.start();
            stack.primary.execute("ALTER TABLE rewritten ADD COLUMN u uuid DEFAULT gen_random_uuid()",
                    "ALTER TABLE rewritten ALTER COLUMN v TYPE int USING length(v)", "INSERT INTO rewritten (id, v) VALUES (0, 42)");
            awaitFileHolds(file, "public.rewritten", applier);
            assertThat(applier.state()).as(() -> "applier: " + applier.failure()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    /**
     * Partitions dropped and detached on the primary take their rows out of the file's table, whose partition key columns
     * are named like DuckDB keywords ({@code at}) and PostgreSQL ones ({@code "order"}): the partition constraints travel
     * with every name quoted, which both read (before, DuckDB's parser stopped the applier).
     */
    @Test
    void partitionsThatLeaveTheirTableOnThePrimaryTakeTheirRowsOutOfTheFile() throws Exception {
        stack.primary.execute("CREATE TABLE visits (id int, at date, \"order\" text, PRIMARY KEY (id, at, \"order\"))"
                        + " PARTITION BY RANGE (at)",
                "CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (\"order\")",
                "CREATE TABLE visits_2025_ab PARTITION OF visits_2025 FOR VALUES IN ('a', 'b')",
                "CREATE TABLE visits_2025_rest PARTITION OF visits_2025 DEFAULT",
                "CREATE TABLE visits_later PARTITION OF visits DEFAULT",
                "INSERT INTO visits SELECT g, date '2024-06-01' + g, chr(97 + g % 4) FROM generate_series(0, 900) g");
        Path file = dir.resolve("visits.duckdb");
        ApplierConfig config = duckDb("dv", "visits", file);
        try (CaptureService capture = new CaptureService(stack.capture("dv", List.of("public.visits"), true));
             StreamApplier applier = new StreamApplier(config)) {
            capture.start();
            applier.start();
            awaitFileHolds(file, "public.visits", applier);
            stack.primary.execute("DROP TABLE visits_2024", "ALTER TABLE visits_2025 DETACH PARTITION visits_2025_ab",
                    "INSERT INTO visits VALUES (5000, '2025-03-01', 'z')");
            awaitFileHolds(file, "public.visits", applier);
            stack.primary.execute("DROP TABLE visits_2025_rest", "DROP TABLE visits_later");
            awaitFileHolds(file, "public.visits", applier);
            assertThat(count(file, "SELECT count(*) FROM public.visits", -1)).isZero();
            assertThat(applier.state()).as(() -> "applier: " + applier.failure()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    /**
     * A partition of a range over text whose collation does not sort by bytes leaves its table: DuckDB, which compares
     * bytes, cannot tell the rows its bounds held ('B' lies between 'a' and 'm' in English, not in bytes), and its
     * applier stops naming partition and table rather than keep rows the primary no longer has.
     */
    @Test
    void aPartitionWhoseBoundsCompareTextByACollationStopsTheApplierNamingIt() throws Exception {
        stack.primary.execute("CREATE TABLE names (id int, name text COLLATE \"en-x-icu\", PRIMARY KEY (id, name)) PARTITION BY RANGE (name)",
                "CREATE TABLE names_a_m PARTITION OF names FOR VALUES FROM ('a') TO ('m')",
                "CREATE TABLE names_rest PARTITION OF names DEFAULT",
                "INSERT INTO names VALUES (1, 'apple'), (2, 'Banana'), (3, 'zebra'), (4, 'Apple')");
        Path file = dir.resolve("names.duckdb");
        ApplierConfig config = duckDb("dn", "names", file);
        try (CaptureService capture = new CaptureService(stack.capture("dn", List.of("public.names"), true));
             StreamApplier applier = new StreamApplier(config)) {
            capture.start();
            applier.start();
            awaitFileHolds(file, "public.names", applier);
            stack.primary.execute("DROP TABLE names_a_m");
            Await.until(Duration.ofSeconds(60), () -> "the applier to stop", () -> applier.state() == StreamApplier.State.FAILED);
            assertThat(applier.failure().orElseThrow().getMessage())
                    .contains("partition public.names_a_m left table public.names").contains("collation");
            assertThat(count(file, "SELECT count(*) FROM public.names", -1)).as("the file keeps what it held").isEqualTo(4);
        }
    }

    /** Waits until the DuckDB file's {@code table} holds the primary's rows. */
    private static void awaitFileHolds(Path file, String table, StreamApplier applier) {
        Await.until(Duration.ofSeconds(60), () -> "the file to hold the primary's rows of " + table + " (" + applier.failure() + ")", () -> {
            Verifier.Report report = new DuckDbVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()), file, 0,
                    Duration.ZERO).verify(List.of(table));
            return report.tables().get(0).differences().isEmpty();
        });
    }

    /** A table the primary drops is dropped from the DuckDB file at the same position. */
    @Test
    void aTableDroppedOnThePrimaryIsDroppedFromTheFile() throws Exception {
        stack.primary.execute("CREATE TABLE short_lived (id int PRIMARY KEY, v text)", "INSERT INTO short_lived VALUES (1, 'a')");
        Path file = dir.resolve("drops.duckdb");
        ApplierConfig config = duckDb("dd", "drops", file);
        try (CaptureService capture = new CaptureService(stack.capture("dd", List.of("public.short_lived"), true));
             StreamApplier applier = new StreamApplier(config)) {
            capture.start();
            applier.start();
            Await.until(Duration.ofSeconds(60), () -> "the table in the file", () -> tables(file) == 1);
            stack.primary.execute("DROP TABLE short_lived");
            Await.until(Duration.ofSeconds(60), () -> "the table dropped from the file (" + applier.failure() + ")",
                    () -> tables(file) == 0);
            assertThat(applier.state()).as(() -> "applier: " + applier.failure()).isEqualTo(StreamApplier.State.RUNNING);
        }
    }

    private static int tables(Path file) throws Exception {
        return count(file, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'short_lived'", -1); // -1: no file yet
    }

    private static int rows(Path file) throws Exception {
        return count(file, "SELECT count(*) FROM public.edges", 0); // 0: not created yet
    }

    /** A count read from the DuckDB file, or {@code unreadable} when the query cannot run yet. */
    private static int count(Path file, String sql, int unreadable) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            return unreadable;
        }
    }

    private static long appliedTransactions() throws Exception {
        return watermark().map(AppliedOffset::transactions).orElse(0L);
    }

    private static Optional<AppliedOffset> watermark() throws Exception {
        return stack.appliedOffset("dk", "olap");
    }

    /** An applier of {@code source}'s stream onto the DuckDB file {@code file}, as follower {@code follower}. */
    private static ApplierConfig duckDb(String source, String follower, Path file) {
        return ApplierConfig.of(source, follower, "jdbc:duckdb:" + file, new Properties(), kafka()).withKind(ApplierConfig.Kind.DUCKDB);
    }

    private static Map<String, Object> kafka() {
        return Map.of("bootstrap.servers", stack.kafka.bootstrapServers());
    }
}
