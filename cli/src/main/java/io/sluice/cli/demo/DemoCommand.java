package io.sluice.cli.demo;

import io.sluice.cli.Wiring;
import io.sluice.cli.DurationConverter;
import io.sluice.cli.EmbeddedStack;
import io.sluice.cli.UpCommand;
import io.sluice.capture.CaptureService;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.client.SluiceClient;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.Rule;
import io.sluice.monitor.MonitorConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: the whole pipeline on embedded servers — primary, Kafka, followers,
 * capture and one applier per follower — under a live transfer workload, reporting progress
 * every second and checking at the end that every follower equals the primary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on embedded servers under a live workload; end by checking every follower equals the primary.")
public final class DemoCommand implements Callable<Integer> {

    private static final List<String> TABLES = List.of("public.accounts", "public.transfers", "public.profiles");

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "how long the workload runs, e.g. 60s or 2m (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rate", defaultValue = "200", description = "transfers per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--followers", defaultValue = "2", description = "embedded followers, 1-5 (default: ${DEFAULT-VALUE})")
    int followers;

    @Option(names = "--failover", description = "give the primary a physical standby, kill the primary under the workload and"
            + " promote the standby: capture continues on it, and every follower is checked against it")
    boolean failover;

    @Option(names = "--duckdb", description = "also apply the stream to a DuckDB file in this process, show a live analytical"
            + " query on it every 5 s, and check it value by value at the end")
    boolean duckdb;

    @Option(names = "--multi-leader", description = "two primaries that both take writes, each applying the other's stream;"
            + " the link between them cut and healed, conflicts resolved by last writer wins, both compared at the end")
    boolean multiLeader;

    @Option(names = "--no-ui", description = "plain lines instead of the live view (also when stdout is not a terminal)")
    boolean noUi;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (followers < 1 || followers > 5 || rate < 1) {
            System.err.println("--followers must be 1-5 and --rate at least 1");
            return 2;
        }
        if (multiLeader && (failover || duckdb)) {
            System.err.println("--multi-leader runs on its own: not with --failover or --duckdb");
            return 2;
        }
        SluiceConfig cfg = UpCommand.defaultConfig(followers);
        out.println(multiLeader ? "sluice demo: starting two embedded PostgreSQL leaders and Kafka ..."
                : "sluice demo: starting embedded PostgreSQL primary, Kafka and " + followers + " follower(s) ...");
        if (duration.isNegative() || duration.isZero()) {
            System.err.println("--duration must be positive");
            return 2;
        }
        Path logFile = cfg.embedded().dataDirectory().resolve("demo.log");
        java.nio.file.Files.createDirectories(logFile.getParent());
        out.println("sluice demo: log lines go to " + logFile);
        if (multiLeader) {
            try (DemoLog log = DemoLog.toFile(logFile); EmbeddedStack stack = EmbeddedStack.kafkaOnly(cfg.embedded().dataDirectory())) {
                Thread hook = new Thread(stack::close, "sluice-demo-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                int result = new MultiLeaderDemo(stack, new DemoView(out, !noUi && System.console() != null), out, duration, rate).run();
                Runtime.getRuntime().removeShutdownHook(hook);
                return result;
            }
        }
        try (DemoLog log = DemoLog.toFile(logFile); EmbeddedStack stack = EmbeddedStack.start(cfg)) {
            Thread hook = new Thread(stack::close, "sluice-demo-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            DemoView view = new DemoView(out, !noUi && System.console() != null);
            int result = failover ? new FailoverDemo(cfg, stack, view, out, duration, rate).run() : run(cfg, stack, view);
            Runtime.getRuntime().removeShutdownHook(hook);
            return result;
        }
    }

    private int run(SluiceConfig cfg, EmbeddedStack stack, DemoView view) throws Exception {
        LocalPostgres primary = stack.primary();
        DemoWorkload.schema(primary);
        view.header("primary  " + primary.jdbcUrl());
        view.header("kafka    " + stack.kafka().bootstrapServers());
        List<DemoFollower> fs = new ArrayList<>();
        String bootstrap = stack.kafka().bootstrapServers();
        try (CaptureService capture = new CaptureService(Wiring.capture(cfg, primary.jdbcUrl(), Wiring.embeddedConnection(),
                bootstrap, stack.runDirectory().resolve("capture")), null, java.time.Clock.systemUTC(),
                Wiring.directSnapshot(cfg, f -> Wiring.applier(cfg, f, stack.followers().get(f).jdbcUrl(),
                        Wiring.embeddedConnection(), bootstrap)))) {
            capture.start();
            view.header("capture  slot " + cfg.capture().slotName() + " -> topic sluice." + cfg.sourceId() + ".stream");
            for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
                DemoFollower follower = new DemoFollower(f.getKey(), f.getValue(), cfg.followers().get(f.getKey()).mode() == SluiceConfig.Mode.SYNC);
                follower.start(cfg, bootstrap);
                fs.add(follower);
                view.header("follower " + follower.name + " (" + (follower.sync ? "sync" : "async") + ") " + f.getValue().jdbcUrl());
            }
            DemoAnalytics analytics = duckdb ? new DemoAnalytics(cfg, bootstrap, stack.runDirectory()) : null;
            if (analytics != null) {
                analytics.start();
                view.header("follower " + DemoAnalytics.NAME + " (DuckDB) " + analytics.file());
            }
            LagMonitor monitor = startMonitor(cfg, stack, stack.primary().jdbcUrl(cfg.primaryDatabase()), view);
            SluiceClient client = client(cfg, stack, fs);
            try {
                snapshot(primary, fs, view);
                return workload(cfg, stack, primary, fs, analytics, monitor, client, view);
            } finally {
                client.close();
                monitor.close();
                fs.forEach(DemoFollower::stop);
                if (analytics != null) {
                    analytics.close();
                }
            }
        }
    }

    /** Shows the followers applying the initial snapshot (existing rows go first, as one transaction). */
    static void snapshot(LocalPostgres primary, List<DemoFollower> fs, DemoView view) throws Exception {
        long total = 0;
        for (String t : TABLES) {
            total += Long.parseLong(primary.queryScalar("SELECT count(*) FROM " + t));
        }
        long want = total * fs.size();
        long[] have = new long[1];
        Await.until(Duration.ofSeconds(120), () -> "the followers to apply the initial snapshot", () -> {
            long n = 0;
            for (DemoFollower f : fs) {
                for (String t : TABLES) {
                    try {
                        n += Long.parseLong(f.pg.queryScalar("SELECT count(*) FROM " + t));
                    } catch (SQLException e) {
                        // the table appears with the snapshot
                    }
                }
            }
            if (n != have[0]) {
                have[0] = n;
                view.progress("snapshot", n, want);
            }
            return n >= want;
        });
        view.event("snapshot applied: " + total + " existing rows on each of " + fs.size() + " follower(s)");
    }

    private int workload(SluiceConfig cfg, EmbeddedStack stack, LocalPostgres primary, List<DemoFollower> fs,
                         DemoAnalytics analytics, LagMonitor monitor, SluiceClient client, DemoView view) throws Exception {
        view.event(String.format("workload: %d transfers/s for %d s (each moves money between two accounts; the total never changes)",
                rate, duration.toSeconds()));
        DemoWorkload writer = DemoWorkload.start(primary, rate);
        long startNanos = System.nanoTime();
        long total = duration.toNanos();
        boolean rywDone = false;
        boolean syncDone = false;
        DemoFollower paused = null;
        long pausedAt = 0;
        boolean pauseDone = false;
        DemoFollower async = fs.stream().filter(f -> !f.sync).findFirst().orElse(null);
        DemoFollower sync = fs.stream().filter(f -> f.sync).findFirst().orElse(null);
        long previous = 0;
        long nextReport = startNanos + 1_000_000_000L;
        while (System.nanoTime() - startNanos < total && writer.alive()) {
            long elapsed = System.nanoTime() - startNanos;
            if (!rywDone && elapsed >= total / 5) {
                rywDone = true;
                DemoConsistency.readYourWrites(primary, client, async != null ? async : fs.get(0), view);
            }
            if (!syncDone && elapsed >= total * 3 / 10 && sync != null) {
                syncDone = true;
                DemoConsistency.syncWrite(primary, client, sync, view);
            }
            if (!pauseDone && paused == null && elapsed >= total * 2 / 5 && async != null) {
                if (duration.toSeconds() < 20) {
                    pauseDone = true;
                    view.event("pause/resume of a follower skipped: it needs --duration 20s or more");
                } else {
                    paused = async;
                    pausedAt = System.nanoTime();
                    paused.stop();
                    view.event("follower " + paused.name + " PAUSED (its applier stopped) - watch its state go WARN, then CRIT");
                }
            }
            if (paused != null && (System.nanoTime() - pausedAt >= 7_000_000_000L || elapsed >= total * 9 / 10)) {
                paused.start(cfg, stack.kafka().bootstrapServers());
                view.event("follower " + paused.name + " RESUMED - it catches up and returns to OK");
                paused = null;
                pauseDone = true;
            }
            long now = System.nanoTime();
            if (now >= nextReport) {
                nextReport += 1_000_000_000L;
                long w = writer.written();
                view.report(w - previous, DemoFollower.rows(fs, monitor));
                previous = w;
                if (analytics != null && (now - startNanos) / 1_000_000_000L % 5 == 4) {
                    view.event(analytics.query());
                }
            }
            LockSupport.parkNanos(20_000_000L); // the director's tick, not synchronisation
        }
        if (paused != null) {
            paused.start(cfg, stack.kafka().bootstrapServers());
        }
        writer.stop();
        view.done();
        out.println("workload stopped after " + writer.written() + " transfers; waiting for the followers to catch up ...");
        String marker = primary.queryScalar("SELECT max(id)::text FROM transfers");
        fs.forEach(f -> f.awaitTransfers(marker, out));
        if (analytics != null) {
            analytics.awaitTransfers(marker, out);
        }
        JdbcDataSource primarySource = new JdbcDataSource(primary.jdbcUrl(), Wiring.embeddedConnection());
        int failures = DemoCheck.followers(primarySource, fs, cfg.sourceId(), TABLES, "the primary", out);
        if (analytics != null) {
            out.println(analytics.query());
            failures += analytics.check(primarySource, TABLES, out);
        }
        out.println(failures == 0 ? "demo: every follower equals the primary." : "demo: " + failures + " table(s) differ.");
        return failures == 0 ? 0 : 1;
    }

    private static SluiceClient client(SluiceConfig cfg, EmbeddedStack stack, List<DemoFollower> fs) {
        SluiceClient.Builder b = SluiceClient.builder(cfg.sourceId())
                .primary(new JdbcDataSource(stack.primary().jdbcUrl(cfg.primaryDatabase()), Wiring.embeddedConnection()));
        for (DemoFollower f : fs) {
            b.follower(f.name, new JdbcDataSource(f.pg.jdbcUrl(cfg.followers().get(f.name).database()),
                    Wiring.embeddedConnection()), f.sync);
        }
        return b.build();
    }

    /**
     * The lag monitor over the embedded stack, the primary at {@code primaryUrl}, its HTTP API on
     * the configured port (any free one if taken).
     */
    static LagMonitor startMonitor(SluiceConfig cfg, EmbeddedStack stack, String primaryUrl, DemoView view) {
        Map<String, MonitorConfig.Endpoint> followerEndpoints = new java.util.LinkedHashMap<>();
        stack.followers().forEach((name, pg) -> followerEndpoints.put(name,
                new MonitorConfig.Endpoint(pg.jdbcUrl(cfg.followers().get(name).database()), Wiring.embeddedConnection())));
        MonitorConfig base = Wiring.monitor(cfg, new MonitorConfig.Endpoint(primaryUrl, Wiring.embeddedConnection()),
                stack.kafka().bootstrapServers(), followerEndpoints, true);
        // Demo thresholds, so that a paused follower shows WARN and CRIT within seconds.
        Rule demo = new Rule(Rule.Unit.SECONDS, 1, 3, Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1), Duration.ofSeconds(30),
                Duration.ofSeconds(3));
        MonitorConfig mc = new MonitorConfig(base.sourceId(), base.primary(), base.slotName(), base.kafka(),
                base.followers().stream().map(f -> new MonitorConfig.FollowerTarget(f.name(), f.endpoint(), f.sync(), demo, f.watermarkInKafka())).toList(),
                base.interval(), demo, base.slot(), base.http(), base.webhooks());
        LagMonitor monitor = new LagMonitor(mc, Clock.systemUTC());
        try {
            monitor.start();
        } catch (java.io.UncheckedIOException e) {
            monitor.close();
            MonitorConfig.Http h = mc.http();
            monitor = new LagMonitor(new MonitorConfig(mc.sourceId(), mc.primary(), mc.slotName(), mc.kafka(), mc.followers(),
                    mc.interval(), mc.capture(), mc.slot(), new MonitorConfig.Http(true, h.host(), 0, h.bearerToken(),
                    h.maxConcurrentWaits()), mc.webhooks()), Clock.systemUTC());
            monitor.start();
        }
        LagMonitor started = monitor;
        monitor.addListener(a -> view.event("ALERT " + a.name() + " " + a.from() + " -> " + a.to() + ": " + a.reason()));
        monitor.httpAddress().ifPresent(a -> view.header(String.format("monitor  http://127.0.0.1:%d/status  /metrics  /healthz"
                + "   (./sluice status --url http://127.0.0.1:%d --watch)", a.getPort(), a.getPort())));
        return started;
    }
}
