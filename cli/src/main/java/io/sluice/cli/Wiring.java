package io.sluice.cli;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.DirectSeed;
import io.sluice.capture.CaptureConfig;
import io.sluice.format.follower.SnapshotTarget;
import io.sluice.cli.config.Secret;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.monitor.MonitorConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/** Builds each module's configuration record from the parsed file and the resolved endpoints. */
public final class Wiring {

    private Wiring() {
    }

    /** Capture's configuration against a primary at {@code jdbcUrl} and Kafka at {@code bootstrap}. */
    public static CaptureConfig capture(SluiceConfig cfg, String jdbcUrl, Properties connection, String bootstrap, Path state) {
        SluiceConfig.Capture c = cfg.capture();
        Map<String, String> debezium = new LinkedHashMap<>();
        if (c.synchronousStandby()) {
            // Confirm each frame to the primary as soon as Kafka has acknowledged it (Debezium
            // confirms at offset commit), so a synchronous commit waits no longer than that.
            debezium.put("offset.flush.interval.ms", "0");
        }
        debezium.putAll(cfg.debezium());
        return new CaptureConfig(cfg.sourceId(), jdbcUrl, connection, cfg.kafka().clientProperties(bootstrap),
                c.slotName(), c.publicationName(), c.tables(), c.heartbeatInterval(), c.pollInterval(),
                c.snapshotMode() == SluiceConfig.SnapshotMode.INITIAL, state, debezium, c.engine(), c.failover())
                .withOrigins(c.origins()).withCatchUp(c.catchUp());
    }

    /** Capture's configuration for a configuration whose primary and Kafka are external. */
    public static CaptureConfig capture(SluiceConfig cfg) {
        if (cfg.primary().embedded() || cfg.kafka().embedded()) {
            throw new IllegalArgumentException("sluice capture runs against a real primary and Kafka: set primary.url to a"
                    + " JDBC URL and kafka.bootstrap.servers to host:port (embedded servers run inside 'sluice demo' and 'sluice up')");
        }
        return capture(cfg, cfg.primary().jdbcUrl(), cfg.primary().driverProperties(), cfg.kafka().bootstrapServers(),
                cfg.embedded().dataDirectory().resolve("capture-" + cfg.sourceId()));
    }

    /**
     * The followers capture's initial snapshot goes into by the direct path ({@code capture.snapshot.direct}),
     * each reached through its applier's configuration.
     */
    public static List<SnapshotTarget> directSnapshot(SluiceConfig cfg, Function<String, ApplierConfig> follower) {
        return cfg.capture().directSnapshot().stream()
                .<SnapshotTarget>map(f -> new DirectSeed(follower.apply(f))).toList();
    }

    /** One follower's applier against a follower at {@code jdbcUrl} and Kafka at {@code bootstrap}. */
    public static ApplierConfig applier(SluiceConfig cfg, String follower, String jdbcUrl, Properties connection, String bootstrap) {
        SluiceConfig.Follower f = cfg.followers().get(follower);
        return ApplierConfig.of(cfg.sourceId(), follower, jdbcUrl, connection, cfg.kafka().clientProperties(bootstrap))
                .withConflicts(f == null ? null : f.conflicts());
    }

    /** The appliers of the followers that may become the primary: the PostgreSQL ones (a change topic cannot). */
    public static List<ApplierConfig> promotionCandidates(SluiceConfig cfg) {
        return cfg.followers().values().stream().filter(SluiceConfig.Follower::isDatabase).map(f -> applier(cfg, f.name())).toList();
    }

    /** The applier of a follower whose store and Kafka are external. */
    public static ApplierConfig applier(SluiceConfig cfg, String follower) {
        SluiceConfig.Follower f = cfg.followers().get(follower);
        if (f == null) {
            throw new IllegalArgumentException("--follower " + follower + ": no such follower in the configuration; configured: "
                    + cfg.followers().keySet());
        }
        if (!f.isDatabase()) {
            if (cfg.kafka().embedded()) {
                throw new IllegalArgumentException("sluice apply runs against a real Kafka: set kafka.bootstrap.servers to"
                        + " host:port (embedded servers run inside 'sluice demo' and 'sluice up')");
            }
            return ApplierConfig.of(cfg.sourceId(), follower, f.file() != null ? "jdbc:duckdb:" + f.file() : "change-topics", new Properties(),
                    cfg.kafka().clientProperties(cfg.kafka().bootstrapServers())).withKind(f.kind());
        }
        if (f.endpoint().embedded() || cfg.kafka().embedded()) {
            throw new IllegalArgumentException("sluice apply runs against a real follower and Kafka: set followers." + follower
                    + ".url to a JDBC URL and kafka.bootstrap.servers to host:port (embedded servers run inside 'sluice demo' and 'sluice up')");
        }
        return applier(cfg, follower, f.endpoint().jdbcUrl(), f.endpoint().driverProperties(), cfg.kafka().bootstrapServers());
    }

    /**
     * The lag monitor's configuration. {@code followerEndpoints} maps each follower to its resolved
     * JDBC URL and properties (embedded followers included).
     */
    public static MonitorConfig monitor(SluiceConfig cfg, MonitorConfig.Endpoint primary, String bootstrap,
                                 Map<String, MonitorConfig.Endpoint> followerEndpoints, boolean http) {
        SluiceConfig.Monitor m = cfg.monitor();
        List<MonitorConfig.FollowerTarget> targets = new ArrayList<>();
        for (SluiceConfig.Follower f : cfg.followers().values()) {
            targets.add(f.isDatabase()
                    ? new MonitorConfig.FollowerTarget(f.name(), followerEndpoints.get(f.name()), f.mode() == SluiceConfig.Mode.SYNC,
                            m.followerRules().get(f.name()))
                    : MonitorConfig.FollowerTarget.watermarkInKafka(f.name(), m.followerRules().get(f.name())));
        }
        MonitorConfig.Http httpConfig = http
                ? new MonitorConfig.Http(true, m.httpHost(), m.httpPort(), m.httpToken().map(Secret::reveal), m.maxWaits())
                : MonitorConfig.Http.disabled();
        return new MonitorConfig(cfg.sourceId(), primary, cfg.capture().slotName(), cfg.kafka().clientProperties(bootstrap),
                targets, m.evaluationInterval(), m.capture(), m.slot(), httpConfig,
                new MonitorConfig.Webhooks(m.webhooks(), m.webhookTimeout(), m.webhookRetries()));
    }

    /** The lag monitor of a configuration whose primary, Kafka and followers are all external. */
    public static MonitorConfig monitor(SluiceConfig cfg) {
        List<String> embedded = new ArrayList<>();
        if (cfg.primary().embedded()) {
            embedded.add("primary.url");
        }
        if (cfg.kafka().embedded()) {
            embedded.add("kafka.bootstrap.servers");
        }
        cfg.followers().values().stream().filter(f -> f.isDatabase() && f.endpoint().embedded())
                .forEach(f -> embedded.add("followers." + f.name() + ".url"));
        if (!embedded.isEmpty()) {
            throw new IllegalArgumentException("sluice monitor watches real servers; these are 'embedded': " + embedded
                    + " (embedded servers run inside 'sluice demo', which runs the monitor over them, and 'sluice up')");
        }
        Map<String, MonitorConfig.Endpoint> followers = new LinkedHashMap<>();
        cfg.followers().values().stream().filter(SluiceConfig.Follower::isDatabase).forEach(f -> followers.put(f.name(),
                new MonitorConfig.Endpoint(f.endpoint().jdbcUrl(), f.endpoint().driverProperties())));
        return monitor(cfg, new MonitorConfig.Endpoint(cfg.primary().jdbcUrl(), cfg.primary().driverProperties()),
                cfg.kafka().bootstrapServers(), followers, true);
    }

    /** Connection properties for an embedded PostgreSQL. */
    public static Properties embeddedConnection() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return p;
    }
}
