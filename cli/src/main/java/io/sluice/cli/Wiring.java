package io.sluice.cli;

import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import io.sluice.cli.config.SluiceConfig;
import java.nio.file.Path;
import java.util.Properties;

/** Builds each module's configuration record from the parsed file and the resolved endpoints. */
final class Wiring {

    private Wiring() {
    }

    /** Capture's configuration against a primary at {@code jdbcUrl} and Kafka at {@code bootstrap}. */
    static CaptureConfig capture(SluiceConfig cfg, String jdbcUrl, Properties connection, String bootstrap, Path state) {
        SluiceConfig.Capture c = cfg.capture();
        return new CaptureConfig(cfg.sourceId(), jdbcUrl, connection, cfg.kafka().clientProperties(bootstrap),
                c.slotName(), c.publicationName(), c.tables(), c.heartbeatInterval(), c.pollInterval(),
                c.snapshotMode() == SluiceConfig.SnapshotMode.INITIAL, state, cfg.debezium());
    }

    /** Capture's configuration for a configuration whose primary and Kafka are external. */
    static CaptureConfig capture(SluiceConfig cfg) {
        if (cfg.primary().embedded() || cfg.kafka().embedded()) {
            throw new IllegalArgumentException("sluice capture runs against a real primary and Kafka: set primary.url to a"
                    + " JDBC URL and kafka.bootstrap.servers to host:port (embedded servers run inside 'sluice demo' and 'sluice up')");
        }
        return capture(cfg, cfg.primary().jdbcUrl(), cfg.primary().driverProperties(), cfg.kafka().bootstrapServers(),
                cfg.embedded().dataDirectory().resolve("capture-" + cfg.sourceId()));
    }

    /** One follower's applier against a follower at {@code jdbcUrl} and Kafka at {@code bootstrap}. */
    static ApplierConfig applier(SluiceConfig cfg, String follower, String jdbcUrl, Properties connection, String bootstrap) {
        return ApplierConfig.of(cfg.sourceId(), follower, jdbcUrl, connection, cfg.kafka().clientProperties(bootstrap));
    }

    /** The applier of a follower whose store and Kafka are external. */
    static ApplierConfig applier(SluiceConfig cfg, String follower) {
        SluiceConfig.Follower f = cfg.followers().get(follower);
        if (f == null) {
            throw new IllegalArgumentException("--follower " + follower + ": no such follower in the configuration; configured: "
                    + cfg.followers().keySet());
        }
        if (f.endpoint().embedded() || cfg.kafka().embedded()) {
            throw new IllegalArgumentException("sluice apply runs against a real follower and Kafka: set followers." + follower
                    + ".url to a JDBC URL and kafka.bootstrap.servers to host:port (embedded servers run inside 'sluice demo' and 'sluice up')");
        }
        return applier(cfg, follower, f.endpoint().jdbcUrl(), f.endpoint().driverProperties(), cfg.kafka().bootstrapServers());
    }

    /** Connection properties for an embedded PostgreSQL. */
    static Properties embeddedConnection() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }
}
