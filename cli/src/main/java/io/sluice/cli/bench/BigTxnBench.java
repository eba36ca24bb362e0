package io.sluice.cli.bench;

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
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** One transaction of N rows through capture to Kafka: time to the COMMIT's acknowledgement and peak heap. */
public final class BigTxnBench {

    private final Path dir;
    private final int rows;

    public BigTxnBench(Path dir, int rows) {
        this.dir = dir;
        this.rows = rows;
    }

    public String run() throws Exception {
        try (LocalPostgres pg = LocalPostgres.start("bigtxn-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE big (id int PRIMARY KEY, v text, n numeric(12,2))");
            }
            CaptureConfig cfg = BenchStack.capture("bigtxn", pg, kafka, List.of("public.big"), dir);
            AtomicLong events = new AtomicLong();
            try (CaptureService capture = new CaptureService(cfg, commit -> events.set(commit.eventCount()))) {
                capture.start();
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    pool.resetPeakUsage();
                }
                long t0 = System.nanoTime();
                try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                    st.execute("INSERT INTO big SELECT g, 'row ' || g, g / 100.0 FROM generate_series(1, " + rows + ") g");
                }
                double committed = (System.nanoTime() - t0) / 1e9;
                Await.until(Duration.ofMinutes(20), () -> "the big transaction on Kafka", () -> events.get() >= rows);
                double seconds = (System.nanoTime() - t0) / 1e9;
                long peak = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP) {
                        peak += pool.getPeakUsage().getUsed();
                    }
                }
                return String.format("bigtxn: one transaction of %d rows committed in %.1f s, on Kafka (COMMIT acknowledged)"
                                + " %.1f s after the statement started (%.0f rows/s); peak heap %d MiB of max %d MiB"
                                + " (whole JVM: capture, Kafka broker, Debezium)",
                        rows, committed, seconds, rows / seconds, peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
            }
        }
    }
}
