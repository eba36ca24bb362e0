package io.sluice.bench;

import io.sluice.capture.CaptureConfig;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** What every benchmark shares: the superuser login and a streaming-only capture of embedded servers. */
public final class BenchStack {

    private BenchStack() {
    }

    static Properties superuser() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }

    static Map<String, Object> kafka(LocalKafka kafka) {
        return kafka(kafka.bootstrapServers());
    }

    static Map<String, Object> kafka(String bootstrapServers) {
        return Map.of("bootstrap.servers", bootstrapServers);
    }

    /**
     * A source id of a run's own, from its directory's name ({@code run0}, {@code warmup-1000}) and
     * the role: a broker that outlives the run keeps every run's topics apart.
     */
    static String source(Path runDirectory, String role) {
        return runDirectory.getFileName().toString().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "_") + "_" + role;
    }

    /** The capture engine every scenario of this run uses ({@code sluice bench --engine}). */
    private static volatile CaptureConfig.Engine engine = CaptureConfig.Engine.PGOUTPUT;

    public static void useEngine(CaptureConfig.Engine chosen) {
        engine = chosen;
    }

    static CaptureConfig.Engine engine() {
        return engine;
    }

    /** Capture of {@code tables} with no snapshot and a 1 ms poll (Debezium), state under {@code dir}. */
    static CaptureConfig capture(String source, LocalPostgres pg, LocalKafka kafka, List<String> tables, Path dir) {
        return capture(source, pg, kafka(kafka), tables, dir);
    }

    static CaptureConfig capture(String source, LocalPostgres pg, Map<String, Object> kafka, List<String> tables, Path dir) {
        return capture(source, pg.jdbcUrl(), kafka, tables, dir);
    }

    static CaptureConfig capture(String source, String jdbcUrl, Map<String, Object> kafka, List<String> tables, Path dir) {
        return new CaptureConfig(source, jdbcUrl, superuser(), kafka, "sluice_" + source, "sluice_" + source,
                tables, Duration.ofSeconds(5), Duration.ofMillis(1), false, dir.resolve("capture-state"), Map.of(), engine);
    }
}
