package io.sluice.capture;

import io.sluice.format.SourceId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Everything capture needs, built once by the caller (the CLI) from the configuration file.
 * Immutable. {@code toString()} never shows the connection properties, which hold secrets.
 *
 * @param sourceId          the source id: topic {@code sluice.<sourceId>.stream}
 * @param jdbcUrl           the primary, {@code jdbc:postgresql://host:port/database}
 * @param connection        pgjdbc properties (user, password, sslmode …); secrets inside
 * @param kafka             Kafka client properties (bootstrap.servers, security …); secrets inside
 * @param slotName          the replication slot (created if absent, never dropped silently)
 * @param publicationName   the publication (created if absent)
 * @param tables            {@code schema.table} names to capture; empty captures all tables
 * @param heartbeatInterval how often an idle source still advances its slot and stream
 * @param pollInterval      Debezium's poll interval (the pgoutput engine does not poll)
 * @param snapshot          whether rows already in the tables are snapshotted first
 * @param stateDirectory    where capture keeps its Debezium offsets
 * @param debezium          pass-through Debezium properties (without the {@code debezium.} prefix)
 * @param engine            what reads the slot: Sluice's own pgoutput reader (the default) or Debezium
 */
public record CaptureConfig(String sourceId, String jdbcUrl, Properties connection, Map<String, Object> kafka,
                            String slotName, String publicationName, List<String> tables,
                            Duration heartbeatInterval, Duration pollInterval, boolean snapshot,
                            Path stateDirectory, Map<String, String> debezium, Engine engine) {

    /** The capture engine ({@code capture.engine}); docs/capture.md compares them. */
    public enum Engine { PGOUTPUT, DEBEZIUM }

    /** A configuration with the default engine, pgoutput. */
    public CaptureConfig(String sourceId, String jdbcUrl, Properties connection, Map<String, Object> kafka,
                         String slotName, String publicationName, List<String> tables,
                         Duration heartbeatInterval, Duration pollInterval, boolean snapshot,
                         Path stateDirectory, Map<String, String> debezium) {
        this(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval, pollInterval,
                snapshot, stateDirectory, debezium, Engine.PGOUTPUT);
    }

    /** The same configuration with another engine. */
    public CaptureConfig withEngine(Engine other) {
        return new CaptureConfig(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval,
                pollInterval, snapshot, stateDirectory, debezium, other);
    }

    public CaptureConfig {
        SourceId.require(sourceId);
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Properties copy = new Properties();
        copy.putAll(Objects.requireNonNull(connection, "connection"));
        connection = copy;
        kafka = Map.copyOf(kafka);
        Objects.requireNonNull(slotName, "slotName");
        Objects.requireNonNull(publicationName, "publicationName");
        tables = List.copyOf(tables);
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        debezium = Map.copyOf(debezium);
        Objects.requireNonNull(engine, "engine");
    }

    /** The connection properties (a copy); they hold the password. */
    @Override
    public Properties connection() {
        Properties copy = new Properties();
        copy.putAll(connection);
        return copy;
    }

    @Override
    public String toString() {
        return "CaptureConfig[source=" + sourceId + ", primary=" + jdbcUrl + ", slot=" + slotName + ", publication="
                + publicationName + ", tables=" + (tables.isEmpty() ? "all" : tables) + ", heartbeat=" + heartbeatInterval
                + ", snapshot=" + snapshot + ", state=" + stateDirectory + ", engine=" + engine.name().toLowerCase() + "]";
    }
}
