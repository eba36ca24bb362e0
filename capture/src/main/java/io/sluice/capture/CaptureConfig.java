package io.sluice.capture;

import io.sluice.format.PrimaryUrl;
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
 * @param failover          how capture follows the primary to a promoted standby
 * @param origins           whose changes capture sends
 * @param catchUp           how the pgoutput engine reads a backlog far behind the WAL's end
 */
public record CaptureConfig(String sourceId, String jdbcUrl, Properties connection, Map<String, Object> kafka,
                            String slotName, String publicationName, List<String> tables,
                            Duration heartbeatInterval, Duration pollInterval, boolean snapshot,
                            Path stateDirectory, Map<String, String> debezium, Engine engine, Failover failover,
                            Origins origins, CatchUp catchUp) {

    /** The capture engine ({@code capture.engine}); docs/capture.md compares them. */
    public enum Engine { PGOUTPUT, DEBEZIUM }

    /**
     * Whose changes capture sends ({@code capture.origin}): every committed change ({@code ANY}), or
     * only those made on this primary itself ({@code LOCAL}) — not those an applier wrote here under
     * a replication origin, so that in a multi-leader topology nothing returns to where it came from
     * (docs/multi-leader.md). LOCAL needs the pgoutput engine and PostgreSQL 16 or later.
     */
    public enum Origins { ANY, LOCAL }

    /**
     * How the pgoutput engine reads a backlog that lies far behind the end of the primary's WAL
     * ({@code capture.catchup}; docs/capture.md, "Catching up"): through SQL
     * ({@code pg_logical_slot_peek_binary_changes} in chunks, the slot advanced after Kafka's
     * acknowledgement — a fraction of the primary's CPU), or through the walsender. After the
     * backlog a capture starts with, the walsender streams.
     */
    public enum CatchUp { SQL, WALSENDER }

    /**
     * Following the primary through a failover (docs/capture.md, "Failover").
     *
     * @param slot             make the slot a failover slot (PostgreSQL 17 and later), kept on the
     *                         standbys that synchronise slots so that it is there after a promotion
     * @param reconnectTimeout how long capture looks for a primary among {@code jdbcUrl}'s hosts after
     *                         losing it before it fails; zero fails at once
     */
    public record Failover(boolean slot, Duration reconnectTimeout) {
        public static final Failover DEFAULT = new Failover(true, Duration.ofSeconds(60));

        public Failover {
            if (reconnectTimeout.isNegative()) {
                throw new IllegalArgumentException("reconnectTimeout must not be negative: " + reconnectTimeout);
            }
        }
    }

    /** A configuration sending changes of every origin, catching up through SQL. */
    public CaptureConfig(String sourceId, String jdbcUrl, Properties connection, Map<String, Object> kafka,
                         String slotName, String publicationName, List<String> tables,
                         Duration heartbeatInterval, Duration pollInterval, boolean snapshot,
                         Path stateDirectory, Map<String, String> debezium, Engine engine, Failover failover) {
        this(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval, pollInterval,
                snapshot, stateDirectory, debezium, engine, failover, Origins.ANY, CatchUp.SQL);
    }

    /** A configuration with the default failover settings. */
    public CaptureConfig(String sourceId, String jdbcUrl, Properties connection, Map<String, Object> kafka,
                         String slotName, String publicationName, List<String> tables,
                         Duration heartbeatInterval, Duration pollInterval, boolean snapshot,
                         Path stateDirectory, Map<String, String> debezium, Engine engine) {
        this(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval, pollInterval,
                snapshot, stateDirectory, debezium, engine, Failover.DEFAULT);
    }

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
                pollInterval, snapshot, stateDirectory, debezium, other, failover, origins, catchUp);
    }

    /** The same configuration reading the primary at another URL (one of {@code jdbcUrl}'s hosts). */
    public CaptureConfig withJdbcUrl(String other) {
        return new CaptureConfig(sourceId, other, connection, kafka, slotName, publicationName, tables, heartbeatInterval,
                pollInterval, snapshot, stateDirectory, debezium, engine, failover, origins, catchUp);
    }

    /** The same configuration with other failover settings. */
    public CaptureConfig withFailover(Failover other) {
        return new CaptureConfig(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval,
                pollInterval, snapshot, stateDirectory, debezium, engine, other, origins, catchUp);
    }

    /** The same configuration sending changes of other origins. */
    public CaptureConfig withOrigins(Origins other) {
        return new CaptureConfig(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval,
                pollInterval, snapshot, stateDirectory, debezium, engine, failover, other, catchUp);
    }

    /** The same configuration reading a backlog another way. */
    public CaptureConfig withCatchUp(CatchUp other) {
        return new CaptureConfig(sourceId, jdbcUrl, connection, kafka, slotName, publicationName, tables, heartbeatInterval,
                pollInterval, snapshot, stateDirectory, debezium, engine, failover, origins, other);
    }

    public CaptureConfig {
        SourceId.require(sourceId);
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        // Several candidate hosts: capture reads only the one that is the primary now.
        connection = PrimaryUrl.primaryOnly(jdbcUrl, Objects.requireNonNull(connection, "connection"));
        kafka = Map.copyOf(kafka);
        Objects.requireNonNull(slotName, "slotName");
        Objects.requireNonNull(publicationName, "publicationName");
        tables = List.copyOf(tables);
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        debezium = Map.copyOf(debezium);
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(failover, "failover");
        Objects.requireNonNull(origins, "origins");
        Objects.requireNonNull(catchUp, "catchUp");
        if (origins == Origins.LOCAL && engine == Engine.DEBEZIUM) {
            throw new IllegalArgumentException("capture.origin = local needs the pgoutput engine: Debezium's connector sends"
                    + " changes of every origin");
        }
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
                + ", snapshot=" + snapshot + ", state=" + stateDirectory + ", engine=" + engine.name().toLowerCase()
                + ", failover slot=" + failover.slot() + ", reconnect=" + failover.reconnectTimeout()
                + ", catchup=" + catchUp.name().toLowerCase() + "]";
    }
}
