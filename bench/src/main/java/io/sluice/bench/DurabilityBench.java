package io.sluice.bench;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Experiment: capture as the primary's synchronous standby. The primary names capture's
 * replication connection in {@code synchronous_standby_names}; capture confirms its flush position
 * only for what Kafka acknowledged. A commit with {@code synchronous_commit = on} then returns only
 * once its transaction is durable in Kafka. Measures the commit latency that costs, against
 * {@code synchronous_commit = local}, and checks after each commit that capture had it on Kafka.
 */
public final class DurabilityBench {

    private final Path dir;
    private final int writes;

    public DurabilityBench(Path dir, int writes) {
        this.dir = dir;
        this.writes = writes;
    }

    public String run() throws Exception {
        try (LocalPostgres primary = LocalPostgres.start("primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            primary.execute("CREATE TABLE durable (id bigint PRIMARY KEY, v text)");
            CaptureConfig base = BenchStack.capture("durable", primary, kafka, List.of("public.durable"), dir);
            // Confirm to the primary as soon as a frame is acknowledged by Kafka.
            CaptureConfig cfg = new CaptureConfig(base.sourceId(), base.jdbcUrl(), base.connection(), base.kafka(),
                    base.slotName(), base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(),
                    base.snapshot(), base.stateDirectory(), Map.of("offset.flush.interval.ms", "0"));
            try (CaptureService capture = new CaptureService(cfg)) {
                capture.start();
                primary.execute("ALTER SYSTEM SET synchronous_standby_names = '\"" + CaptureService.walSenderName(cfg) + "\"'",
                        "SELECT pg_reload_conf()");
                StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                        "capture as synchronous standby: %d sequential single-row commits per level%n", writes));
                long id = 0;
                for (String level : List.of("local", "on")) {
                    long[] us = new long[writes];
                    int notOnKafka = 0;
                    try (Connection c = primary.connect(); Statement st = c.createStatement()) {
                        st.execute("SET statement_timeout = '10s'");
                        st.execute("SET synchronous_commit = " + level);
                        for (int i = 0; i < writes; i++) {
                            Lsn before;
                            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                                rs.next();
                                before = Lsn.parse(rs.getString(1));
                            }
                            long t0 = System.nanoTime();
                            st.executeUpdate("INSERT INTO durable VALUES (" + (++id) + ", 'x')");
                            us[i] = (System.nanoTime() - t0) / 1000;
                            if (!capture.lastCommittedLsn().isAfter(before)) {
                                notOnKafka++;
                            }
                        }
                    }
                    out.append(String.format(Locale.ROOT, "  synchronous_commit=%-5s %s; on Kafka when the commit returned: %d of %d%n",
                            level, Percentiles.ofMicros(us, writes).ms(), writes - notOnKafka, writes));
                }
                primary.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
                return out.toString();
            }
        }
    }
}
