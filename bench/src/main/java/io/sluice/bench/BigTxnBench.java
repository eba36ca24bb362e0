package io.sluice.bench;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One transaction of N rows through capture to Kafka, two ways in the same run: streamed by the
 * primary while it runs (the server's default {@code logical_decoding_work_mem}, 64 MB) and held
 * by the server until its commit ({@code logical_decoding_work_mem} 2 GB). For each: the
 * statement's time, the time from its commit to Kafka's acknowledgement of the frame's COMMIT,
 * what the slot streamed and spilled on the primary, and the JVM's peak heap.
 */
public final class BigTxnBench {

    private final Path dir;
    private final int rows;

    public BigTxnBench(Path dir, int rows) {
        this.dir = dir;
        this.rows = rows;
    }

    public String run() throws Exception {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "bigtxn: one transaction of %,d rows%n", rows));
        try (LocalPostgres pg = LocalPostgres.start("bigtxn-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            out.append(way(pg, kafka, "streamed", "64MB"));
            out.append(way(pg, kafka, "held", "2GB"));
        }
        return out.toString();
    }

    private String way(LocalPostgres pg, LocalKafka kafka, String name, String workMem) throws Exception {
        String table = "big_" + name;
        pg.execute("ALTER SYSTEM SET logical_decoding_work_mem = '" + workMem + "'", "SELECT pg_reload_conf()",
                "CREATE TABLE " + table + " (id int PRIMARY KEY, v text, n numeric(12,2))", "CHECKPOINT");
        CaptureConfig cfg = BenchStack.capture("bigtxn_" + name, pg, kafka, List.of("public." + table), dir);
        AtomicLong events = new AtomicLong();
        try (CaptureService capture = new CaptureService(cfg, commit -> events.set(commit.eventCount()))) {
            capture.start();
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                pool.resetPeakUsage();
            }
            long t0 = System.nanoTime();
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("INSERT INTO " + table + " SELECT g, 'row ' || g, g / 100.0 FROM generate_series(1, " + rows + ") g");
            }
            long committed = System.nanoTime();
            Await.until(Duration.ofMinutes(20), () -> "the big transaction on Kafka", () -> events.get() >= rows);
            long acked = System.nanoTime();
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            String slot = slotStats(pg, cfg.slotName());
            return String.format(Locale.ROOT, "  %-8s (logical_decoding_work_mem %s): statement %.2f s, commit -> on Kafka %.2f s,"
                            + " statement start -> on Kafka %.2f s (%.0f rows/s); slot %s; peak heap %d MiB of max %d MiB%n",
                    name, workMem, (committed - t0) / 1e9, (acked - committed) / 1e9, (acked - t0) / 1e9,
                    rows / ((acked - t0) / 1e9), slot, peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
        } finally {
            pg.execute("ALTER SYSTEM RESET logical_decoding_work_mem", "SELECT pg_reload_conf()");
        }
    }

    /** What the slot streamed and spilled, once the walsender has reported it. */
    private static String slotStats(LocalPostgres pg, String slot) throws Exception {
        String sql = "SELECT total_txns, stream_bytes, spill_bytes FROM pg_stat_replication_slots WHERE slot_name = '" + slot + "'";
        String[] stats = new String[1];
        Await.until(Duration.ofSeconds(30), () -> "statistics of slot " + slot, () -> {
            try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                if (!rs.next() || rs.getLong(1) == 0) {
                    return false;
                }
                stats[0] = String.format(Locale.ROOT, "streamed %d MiB, spilled %d MiB on the primary",
                        rs.getLong(2) >> 20, rs.getLong(3) >> 20);
                return true;
            }
        });
        return stats[0];
    }
}
