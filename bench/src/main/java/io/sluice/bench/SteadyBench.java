package io.sluice.bench;

import io.sluice.embedded.Await;
import io.sluice.embedded.KafkaProcess;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed write rate for a duration, replicated live by Sluice (capture → Kafka → applier) and by
 * native logical replication at the same time from the same primary. Latency is measured the same
 * way for both: each row carries the primary's {@code clock_timestamp()} at insert, and a deferred
 * {@code ENABLE ALWAYS} constraint trigger on each follower records {@code clock_timestamp()} as the
 * transaction that applied the row commits — when a reader of the follower can see it, not when the
 * row was written inside a transaction still open (one machine, one clock). The first
 * {@code settle} seconds at the rate are discarded, in the same pipeline that is then measured: a
 * new capture or applier (a restart) compiles its hot code again for the profile of a steady rate,
 * which takes tens of seconds at 1,000 tx/s (docs/benchmarks.md). The Kafka broker runs in a process
 * of its own ({@link KafkaProcess}), shared by the runs of a scenario, as a deployment runs it, and
 * so do capture and the applier, each in a process of its own ({@link SluiceProcesses}): the CPU
 * reported as Sluice's is theirs, the broker's beside it.
 */
public final class SteadyBench {

    /** After the writes: how long the CPU of an idle pipeline is measured. */
    private static final int IDLE_SECONDS = 3;

    private final Path dir;
    private final int rate;
    private final Duration duration;
    private final Duration settle;
    private final Path plot;
    private final KafkaProcess broker;
    private final SluiceProcesses sluice;

    /**
     * {@code rate} 0 means as fast as 4 clients go; {@code settle}: how long it is written at first
     * and not measured; {@code duration}: how long it is measured then. {@code plot}: an SVG of
     * latency over time, or null.
     */
    public SteadyBench(Path dir, int rate, Duration settle, Duration duration, Path plot, KafkaProcess broker, SluiceProcesses sluice) {
        this.dir = dir;
        this.rate = rate;
        this.settle = settle;
        this.duration = duration;
        this.plot = plot;
        this.broker = broker;
        this.sluice = sluice;
    }

    public Map<String, Object> run() throws Exception {
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalPostgres nativeFollower = LocalPostgres.start("native", dir);
             LocalPostgres sluiceFollower = LocalPostgres.start("sluice", dir)) {
            String source = BenchStack.source(dir, "steady");
            for (LocalPostgres pg : List.of(primary, nativeFollower, sluiceFollower)) {
                pg.execute("CREATE TABLE steady (id bigint PRIMARY KEY, created timestamptz NOT NULL, payload text)");
            }
            for (LocalPostgres f : List.of(nativeFollower, sluiceFollower)) {
                f.execute("CREATE TABLE steady_seen (id bigint PRIMARY KEY, applied_at timestamptz NOT NULL)",
                        "CREATE FUNCTION seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                                + " INSERT INTO public.steady_seen VALUES (NEW.id, clock_timestamp()) ON CONFLICT DO NOTHING; RETURN NEW; END $$"
                                + " SET search_path = pg_catalog, public",
                        "CREATE CONSTRAINT TRIGGER seen AFTER INSERT ON steady DEFERRABLE INITIALLY DEFERRED"
                                + " FOR EACH ROW EXECUTE FUNCTION seen()",
                        "ALTER TABLE steady ENABLE ALWAYS TRIGGER seen");
            }
            primary.execute("CREATE PUBLICATION steady_native FOR TABLE steady");
            nativeFollower.execute("CREATE SUBSCRIPTION steady_native CONNECTION 'host=127.0.0.1 port=" + primary.port()
                    + " user=postgres dbname=postgres' PUBLICATION steady_native WITH (copy_data = false)");
            try (ServiceProcess.Remote capture = sluice.capture().capture(source, primary.jdbcUrl(), broker.bootstrapServers(),
                    List.of("public.steady"), dir);
                 ServiceProcess.Remote applier = sluice.applier().applier(source, "sluice", sluiceFollower.jdbcUrl(),
                         broker.bootstrapServers())) {
                Await.until(Duration.ofSeconds(30), () -> "the native subscription to stream", () -> "1".equals(primary.queryScalar(
                        "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'steady_native'")));
                Written w = write(primary, sluice, broker);
                long written = w.total();
                for (LocalPostgres f : List.of(nativeFollower, sluiceFollower)) {
                    Await.until(Duration.ofMinutes(2), () -> "every row on " + f.name() + " (a broken trigger or subscription shows in its log)", () ->
                            Long.parseLong(f.queryScalar("SELECT count(*) FROM steady_seen")) >= written);
                }
                // Idle: nothing written for a while, heartbeats only.
                SluiceProcesses.Usage idle0 = sluice.usage();
                double brokerIdle0 = Cpu.processSeconds(broker.pid());
                LockSupport.parkNanos(IDLE_SECONDS * 1_000_000_000L);
                double idleCores = sluice.usage().since(idle0).total() / IDLE_SECONDS;
                double brokerIdleCores = (Cpu.processSeconds(broker.pid()) - brokerIdle0) / IDLE_SECONDS;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("target_rate", rate == 0 ? "max" : rate);
                r.put("achieved_rate", w.measured() / w.seconds());
                r.put("transactions", w.measured());
                summarise(r, "sluice", latencies(sluiceFollower, w));
                summarise(r, "native", latencies(nativeFollower, w));
                r.put("sluice_cpu_cores", w.cpuCores());
                r.put("kafka_broker_cpu_cores", w.brokerCores());
                r.put("sluice_idle_cpu_cores", idleCores);
                r.put("kafka_broker_idle_cpu_cores", brokerIdleCores);
                r.put("sluice_rss_mib", rssMib(sluice, "VmRSS"));
                r.put("sluice_peak_rss_mib", rssMib(sluice, "VmHWM"));
                r.put("equal", primary.rowsAsText("steady").equals(sluiceFollower.rowsAsText("steady"))
                        && primary.rowsAsText("steady").equals(nativeFollower.rowsAsText("steady")));
                if (plot != null) {
                    Svg.latencyOverTime(plot, "commit -> visible on the follower, " + (rate == 0 ? "max" : rate) + " tx/s",
                            perSecond(sluiceFollower), perSecond(nativeFollower));
                    r.put("plot", plot.toString());
                }
                return r;
            }
        }
    }

    /**
     * What was written: {@code total} rows in all, ids {@code firstMeasured} (exclusive) to
     * {@code lastMeasured} in the measured window of {@code seconds}, with the pipeline's CPU over that window.
     */
    private record Written(long total, long firstMeasured, long lastMeasured, double seconds, double cpuCores, double brokerCores) {
        long measured() {
            return lastMeasured - firstMeasured;
        }
    }

    private Written write(LocalPostgres primary, SluiceProcesses sluice, KafkaProcess broker) throws Exception {
        AtomicLong next = new AtomicLong();
        AtomicBoolean on = new AtomicBoolean(true);
        int clients = rate == 0 || rate > 1000 ? 4 : 1;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try (Connection conn = primary.connect(); PreparedStatement ps = conn.prepareStatement(
                        "INSERT INTO steady VALUES (?, clock_timestamp(), repeat('p', 100))")) {
                    long interval = rate == 0 ? 0 : 1_000_000_000L * clients / rate;
                    long start = System.nanoTime();
                    for (long i = 1; on.get(); i++) {
                        if (interval > 0) {
                            long wait = start + i * interval - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait);
                            }
                        }
                        ps.setLong(1, next.incrementAndGet());
                        ps.executeUpdate();
                    }
                } catch (Exception e) {
                    System.err.println("steady writer stopped: " + e);
                }
            }, "steady-writer-" + c);
            t.start();
            threads.add(t);
        }
        waitFor(settle, "the settling phase");
        long first = next.get();
        SluiceProcesses.Usage cpu0 = sluice.usage();
        double brokerCpu0 = Cpu.processSeconds(broker.pid());
        long t0 = System.nanoTime();
        waitFor(duration, "the measured phase");
        long last = next.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuCores = sluice.usage().since(cpu0).total() / seconds;
        double brokerCores = (Cpu.processSeconds(broker.pid()) - brokerCpu0) / seconds;
        on.set(false);
        for (Thread t : threads) {
            t.join();
        }
        return new Written(next.get(), first, last, seconds, cpuCores, brokerCores);
    }

    private static void waitFor(Duration d, String what) {
        long end = System.nanoTime() + d.toNanos();
        Await.until(d.plusSeconds(30), () -> what, () -> System.nanoTime() >= end);
    }

    /** Latencies in ms of the rows of the measured window, sorted. */
    private static double[] latencies(LocalPostgres f, Written w) throws Exception {
        List<Double> all = new ArrayList<>();
        try (Connection c = f.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT extract(epoch FROM v.applied_at - s.created) * 1000 FROM steady s"
                     + " JOIN steady_seen v USING (id) WHERE s.id > " + w.firstMeasured() + " AND s.id <= " + w.lastMeasured())) {
            while (rs.next()) {
                all.add(rs.getDouble(1));
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    /** Per second since the start: {second → [p50, p99]} in ms. */
    private static TreeMap<Integer, double[]> perSecond(LocalPostgres f) throws Exception {
        TreeMap<Integer, double[]> out = new TreeMap<>();
        try (Connection c = f.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT floor(extract(epoch FROM s.created - (SELECT min(created) FROM steady)))::int,"
                     + " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM v.applied_at - s.created) * 1000),"
                     + " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM v.applied_at - s.created) * 1000)"
                     + " FROM steady s JOIN steady_seen v USING (id) GROUP BY 1 ORDER BY 1")) {
            while (rs.next()) {
                out.put(rs.getInt(1), new double[] {rs.getDouble(2), rs.getDouble(3)});
            }
        }
        return out;
    }

    private static void summarise(Map<String, Object> r, String who, double[] sorted) {
        r.put(who + "_latency_p50_ms", q(sorted, 0.50));
        r.put(who + "_latency_p95_ms", q(sorted, 0.95));
        r.put(who + "_latency_p99_ms", q(sorted, 0.99));
        r.put(who + "_latency_max_ms", sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
    }

    private static double q(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1))];
    }

    /** Capture's and the applier's processes together. */
    private static double rssMib(SluiceProcesses sluice, String field) {
        return rssMib(sluice.capture().pid(), field) + rssMib(sluice.applier().pid(), field);
    }

    private static double rssMib(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
