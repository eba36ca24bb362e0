package io.sluice.cli.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of one Sluice deployment: one source, its Kafka stream and its
 * followers. Built once by {@link ConfigParser}; immutable.
 */
public record SluiceConfig(String sourceId, PostgresEndpoint primary, String primaryDatabase, KafkaEndpoint kafka,
                           Capture capture, Map<String, Follower> followers, Monitor monitor, Embedded embedded,
                           Map<String, String> debezium) {

    public SluiceConfig {
        followers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(followers));
        debezium = Map.copyOf(debezium);
    }

    /**
     * How capture runs. An empty table list captures every table. {@code directSnapshot} names the
     * followers that take the initial snapshot straight from the primary (docs/capture.md); empty:
     * the snapshot goes onto the stream.
     */
    public record Capture(String slotName, String publicationName, List<String> tables, Duration heartbeatInterval,
                          Duration pollInterval, SnapshotMode snapshotMode, boolean synchronousStandby,
                          io.sluice.capture.CaptureConfig.Engine engine, List<String> directSnapshot,
                          io.sluice.capture.CaptureConfig.Failover failover, io.sluice.capture.CaptureConfig.Origins origins,
                          io.sluice.capture.CaptureConfig.CatchUp catchUp) {
        public Capture {
            tables = List.copyOf(tables);
            directSnapshot = List.copyOf(directSnapshot);
        }
    }

    public enum SnapshotMode { INITIAL, NEVER }

    /**
     * One follower store: a PostgreSQL database ({@code endpoint}, {@code database}), keyed change
     * topics on the source's Kafka (kind {@code topics}: no endpoint of its own), or a DuckDB
     * database file (kind {@code duckdb}: {@code file}, null for other kinds).
     */
    public record Follower(String name, PostgresEndpoint endpoint, String database, Mode mode,
                           io.sluice.applier.ApplierConfig.Kind kind, java.nio.file.Path file,
                           io.sluice.applier.ConflictResolver conflicts) {

        /** Whether the follower is a PostgreSQL database (which the embedded runtime may start). */
        public boolean isDatabase() {
            return kind == io.sluice.applier.ApplierConfig.Kind.POSTGRESQL;
        }
    }

    public enum Mode { SYNC, ASYNC }

    /**
     * The lag monitor: its HTTP API, alert webhooks, and the rules stages are judged by
     * ({@code followerRules} has one entry per follower).
     */
    public record Monitor(String httpHost, int httpPort, Duration evaluationInterval, java.util.Optional<Secret> httpToken,
                          int maxWaits, List<java.net.URI> webhooks, Duration webhookTimeout, int webhookRetries,
                          io.sluice.monitor.Rule capture, io.sluice.monitor.Rule slot,
                          Map<String, io.sluice.monitor.Rule> followerRules) {
        public Monitor {
            webhooks = List.copyOf(webhooks);
            followerRules = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(followerRules));
        }
    }

    /** Where embedded servers keep their data. */
    public record Embedded(Path dataDirectory) { }
}
