package io.sluice.capture;

import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Builds capture configurations against the embedded servers of a test class. */
final class CaptureFixture {

    private CaptureFixture() {
    }

    /** Streaming only: every transaction after the slot is created, no snapshot. */
    static CaptureConfig config(LocalPostgres pg, LocalKafka kafka, String source, Path state, List<String> tables) {
        return config(pg, kafka, source, state, tables, false);
    }

    static CaptureConfig config(LocalPostgres pg, LocalKafka kafka, String source, Path state, List<String> tables,
                                boolean snapshot) {
        Properties conn = new Properties();
        conn.setProperty("user", "postgres");
        return new CaptureConfig(source, "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres", conn,
                Map.of("bootstrap.servers", kafka.bootstrapServers()), "slot_" + source, "pub_" + source, tables,
                Duration.ofMillis(500), Duration.ofMillis(10), snapshot, state, Map.of());
    }
}
