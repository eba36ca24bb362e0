package io.sluice.cli;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureService;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalPostgres;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Status;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: the whole pipeline on embedded servers — primary, Kafka, followers,
 * capture and one applier per follower — under a live transfer workload, reporting progress
 * every second and checking at the end that every follower equals the primary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on embedded servers under a live workload; end by checking every follower equals the primary.")
final class DemoCommand implements Callable<Integer> {

    private static final List<String> TABLES = List.of("public.accounts", "public.transfers", "public.profiles");

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "how long the workload runs, e.g. 60s or 2m (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rate", defaultValue = "200", description = "transfers per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--followers", defaultValue = "2", description = "embedded followers, 1-5 (default: ${DEFAULT-VALUE})")
    int followers;

    @Option(names = "--no-ui", description = "plain log lines (the live view is plain lines for now as well)")
    boolean noUi;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (followers < 1 || followers > 5 || rate < 1) {
            System.err.println("--followers must be 1-5 and --rate at least 1");
            return 2;
        }
        SluiceConfig cfg = UpCommand.defaultConfig(followers);
        out.println("sluice demo: starting embedded PostgreSQL primary, Kafka and " + followers + " follower(s) ...");
        try (EmbeddedStack stack = EmbeddedStack.start(cfg)) {
            Thread hook = new Thread(stack::close, "sluice-demo-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            int result = run(cfg, stack);
            Runtime.getRuntime().removeShutdownHook(hook);
            return result;
        }
    }

    private int run(SluiceConfig cfg, EmbeddedStack stack) throws Exception {
        LocalPostgres primary = stack.primary();
        schema(primary);
        out.println("  primary  " + primary.jdbcUrl());
        out.println("  kafka    " + stack.kafka().bootstrapServers());
        Map<String, Long> lastApplied = new ConcurrentHashMap<>();
        Map<String, AtomicLong> latencySumMicros = new ConcurrentHashMap<>();
        Map<String, AtomicLong> latencyCount = new ConcurrentHashMap<>();
        List<StreamApplier> appliers = new ArrayList<>();
        try (CaptureService capture = new CaptureService(Wiring.capture(cfg, primary.jdbcUrl(), Wiring.embeddedConnection(),
                stack.kafka().bootstrapServers(), stack.runDirectory().resolve("capture")))) {
            capture.start();
            out.println("  capture  running: slot " + cfg.capture().slotName() + " -> sluice." + cfg.sourceId() + ".stream"
                    + " (existing rows go first, as one snapshot transaction)");
            for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
                String name = f.getKey();
                latencySumMicros.put(name, new AtomicLong());
                latencyCount.put(name, new AtomicLong());
                ApplierConfig ac = Wiring.applier(cfg, name, f.getValue().jdbcUrl(), Wiring.embeddedConnection(),
                        stack.kafka().bootstrapServers());
                StreamApplier a = new StreamApplier(ac, applied -> {
                    lastApplied.put(name, applied.xid());
                    latencySumMicros.get(name).addAndGet(java.time.temporal.ChronoUnit.MICROS.between(applied.commitTime(), applied.appliedAt()));
                    latencyCount.get(name).incrementAndGet();
                });
                a.start();
                appliers.add(a);
                out.println("  follower " + name + " (" + cfg.followers().get(name).mode().name().toLowerCase() + ") "
                        + f.getValue().jdbcUrl());
            }
            LagMonitor monitor = startMonitor(cfg, stack);
            AtomicLong written = new AtomicLong();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> workload(primary, writing, written), "demo-workload");
            out.printf("workload: %d transfers/s for %d s (each moves money between two accounts; the total never changes)%n",
                    rate, duration.toSeconds());
            writer.start();
            Instant end = Instant.now().plus(duration);
            long previous = 0;
            while (Instant.now().isBefore(end) && writer.isAlive()) {
                Thread.sleep(1000); // the report's own cadence, not synchronisation
                long now = written.get();
                StringBuilder line = new StringBuilder(String.format("[%s] writes %4d/s", Instant.now().toString().substring(11, 19),
                        now - previous));
                previous = now;
                Map<String, Status.Follower> lag = new java.util.HashMap<>();
                monitor.status().ifPresent(st -> st.followers().forEach(f -> lag.put(f.name(), f)));
                for (StreamApplier a : appliers) {
                    String name = a.config().followerName();
                    long n = latencyCount.get(name).getAndSet(0);
                    long sum = latencySumMicros.get(name).getAndSet(0);
                    Status.Follower f = lag.get(name);
                    line.append(String.format(" | %s %s, commit->applied avg %s, staleness %s", name,
                            f == null ? a.state().name().toLowerCase() : f.state().name(),
                            n == 0 ? "-" : String.format("%.1f ms", sum / 1000.0 / n),
                            f == null ? "-" : String.format("%.0f ms", f.stalenessSeconds() * 1000)));
                }
                out.println(line);
            }
            writing.set(false);
            writer.join();
            out.println("workload stopped after " + written.get() + " transfers; waiting for the followers to catch up ...");
            String marker = primary.queryScalar("SELECT max(id)::text FROM transfers");
            int failures = 0;
            for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
                try {
                    Await.until(Duration.ofSeconds(60), () -> "follower " + f.getKey() + " to apply every transfer",
                            () -> java.util.Objects.equals(marker, f.getValue().queryScalar("SELECT max(id)::text FROM transfers")));
                } catch (AssertionError e) {
                    out.println("follower " + f.getKey() + " did not catch up: " + e.getMessage());
                }
            }
            for (StreamApplier a : appliers) {
                a.close();
            }
            monitor.close();
            for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
                for (String table : TABLES) {
                    String[] p = fingerprint(primary, table);
                    String[] q = fingerprint(f.getValue(), table);
                    boolean equal = p[0].equals(q[0]) && p[1].equals(q[1]);
                    if (!equal) {
                        failures++;
                    }
                    out.printf("check: follower %s %s the primary on %-18s (%s rows, md5 %s)%n", f.getKey(),
                            equal ? "EQUALS" : "DIFFERS FROM", table, q[0], q[1].substring(0, 12));
                }
            }
            out.println(failures == 0 ? "demo: every follower equals the primary." : "demo: " + failures + " table(s) differ.");
            return failures == 0 ? 0 : 1;
        } finally {
            for (StreamApplier a : appliers) {
                a.close();
            }
        }
    }

    /** The lag monitor over the embedded stack, its HTTP API on the configured port (any free one if taken). */
    private LagMonitor startMonitor(SluiceConfig cfg, EmbeddedStack stack) {
        Map<String, MonitorConfig.Endpoint> followerEndpoints = new java.util.LinkedHashMap<>();
        stack.followers().forEach((name, pg) -> followerEndpoints.put(name,
                new MonitorConfig.Endpoint(pg.jdbcUrl(cfg.followers().get(name).database()), Wiring.embeddedConnection())));
        MonitorConfig mc = Wiring.monitor(cfg, new MonitorConfig.Endpoint(stack.primary().jdbcUrl(cfg.primaryDatabase()),
                Wiring.embeddedConnection()), stack.kafka().bootstrapServers(), followerEndpoints, true);
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
        monitor.httpAddress().ifPresent(a -> out.printf("  monitor  http://127.0.0.1:%d/status  (/metrics, /healthz;"
                + " ./sluice status --url http://127.0.0.1:%d)%n", a.getPort(), a.getPort()));
        return monitor;
    }

    private static void schema(LocalPostgres pg) throws SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL)");
            st.execute("CREATE TABLE transfers (id bigint PRIMARY KEY, src int, dst int, amount numeric(12,2), at timestamptz)");
            st.execute("CREATE TABLE profiles (id int PRIMARY KEY, attrs jsonb, tags text[], updated timestamptz)");
            st.execute("INSERT INTO accounts SELECT g, 'owner ' || g, 1000 FROM generate_series(1, 100) g");
            st.execute("INSERT INTO profiles SELECT g, jsonb_build_object('tier', g % 3), ARRAY['t' || g % 5], now()"
                    + " FROM generate_series(1, 100) g");
        }
    }

    private void workload(LocalPostgres pg, AtomicBoolean writing, AtomicLong written) {
        Random random = new Random(42);
        try (Connection c = pg.connect();
             PreparedStatement debit = c.prepareStatement("UPDATE accounts SET balance = balance - ? WHERE id = ?");
             PreparedStatement credit = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
             PreparedStatement log = c.prepareStatement("INSERT INTO transfers VALUES (?, ?, ?, ?, now())");
             PreparedStatement profile = c.prepareStatement(
                     "UPDATE profiles SET attrs = attrs || jsonb_build_object('last', ?::int), updated = now() WHERE id = ?")) {
            c.setAutoCommit(false);
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            for (long i = 1; writing.get(); i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                int a = 1 + random.nextInt(100);
                int b = 1 + random.nextInt(100);
                java.math.BigDecimal amount = java.math.BigDecimal.valueOf(1 + random.nextInt(5000), 2);
                debit.setBigDecimal(1, amount);
                debit.setInt(2, a);
                debit.executeUpdate();
                credit.setBigDecimal(1, amount);
                credit.setInt(2, b);
                credit.executeUpdate();
                log.setLong(1, i);
                log.setInt(2, a);
                log.setInt(3, b);
                log.setBigDecimal(4, amount);
                log.executeUpdate();
                if (i % 10 == 0) {
                    profile.setInt(1, (int) i);
                    profile.setInt(2, a);
                    profile.executeUpdate();
                }
                c.commit();
                written.incrementAndGet();
            }
        } catch (SQLException e) {
            System.err.println("workload stopped: " + e.getMessage());
        }
    }

    /** Row count and md5 of all rows in order: equal fingerprints mean equal contents. */
    private static String[] fingerprint(LocalPostgres pg, String table) throws SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-')"
                     + " FROM " + table + " t")) {
            rs.next();
            return new String[] {rs.getString(1), rs.getString(2) + "            "};
        }
    }


    /** 60s, 2m, 1h or a bare number of seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([smh]?)").matcher(value.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + value + "' is not a duration like 60s, 2m or 1h");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }
    }
}
