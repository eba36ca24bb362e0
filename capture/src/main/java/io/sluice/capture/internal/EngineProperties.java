package io.sluice.capture.internal;

import io.sluice.capture.CaptureConfig;
import io.sluice.format.SessionSettings;
import java.net.URI;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The Debezium connector and engine settings capture runs with (see docs/capture.md). */
public final class EngineProperties {

    private EngineProperties() {
    }

    /**
     * @param snapshot whether Debezium snapshots the tables first: only when the stream holds
     *                 nothing yet (capture's position is the stream's, see {@link StreamTail})
     */
    public static Properties of(CaptureConfig config, boolean snapshot) {
        URI uri = URI.create(config.jdbcUrl().substring("jdbc:".length()));
        Properties conn = config.connection();
        Properties p = new Properties();
        p.put("name", "sluice-capture-" + config.sourceId());
        p.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        // No offsets of Debezium's own: capture resumes from the stream (StreamTail), and Debezium,
        // with no offset, from the slot, which is never confirmed past what the stream holds.
        // Offsets are still committed every second: that is when Debezium confirms the slot.
        p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.put("offset.flush.interval.ms", "1000");
        p.put("offset.flush.timeout.ms", "10000");
        p.put("topic.prefix", config.sourceId());
        p.put("database.hostname", uri.getHost());
        p.put("database.port", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()));
        p.put("database.dbname", uri.getPath().substring(1));
        p.put("database.user", conn.getProperty("user", userFromQuery(uri)));
        p.put("database.password", conn.getProperty("password", ""));
        copyIfSet(conn, p, "sslmode", "database.sslmode");
        copyIfSet(conn, p, "sslrootcert", "database.sslrootcert");
        copyIfSet(conn, p, "sslcert", "database.sslcert");
        copyIfSet(conn, p, "sslkey", "database.sslkey");
        copyIfSet(conn, p, "sslpassword", "database.sslpassword");
        p.put("plugin.name", "pgoutput");
        // Debezium's SQL sessions (its snapshot's) as every other of Sluice's: without the database's own timeouts.
        p.put("database.initial.statements", SessionSettings.sql());
        p.put("slot.name", config.slotName());
        p.put("publication.name", config.publicationName());
        p.put("publication.autocreate.mode", "disabled");
        p.put("slot.drop.on.stop", "false");
        p.put("provide.transaction.metadata", "true");
        p.put("snapshot.mode", snapshot ? "initial" : "no_data");
        if (!config.tables().isEmpty()) {
            p.put("table.include.list", config.tables().stream().map(Pattern::quote).collect(Collectors.joining(",")));
        } else {
            // Every table but Sluice's own on the primary (the DDL triggers' name map): pgoutput leaves
            // that unlogged table out of FOR ALL TABLES, Debezium would snapshot it.
            p.put("schema.exclude.list", "sluice");
        }
        p.put("decimal.handling.mode", "string");
        p.put("interval.handling.mode", "string");
        p.put("time.precision.mode", "adaptive_time_microseconds");
        p.put("binary.handling.mode", "bytes");
        p.put("hstore.handling.mode", "json");
        p.put("include.unknown.datatypes", "true");
        p.put("column.propagate.source.type", ".*");
        p.put("skipped.operations", "none");
        // A value Debezium cannot convert stops capture; the default would log and send NULL.
        p.put("event.converting.failure.handling.mode", "fail");
        p.put("tombstones.on.delete", "false");
        p.put("unavailable.value.placeholder", ValueMapper.UNCHANGED_PLACEHOLDER);
        p.put("heartbeat.interval.ms", String.valueOf(config.heartbeatInterval().toMillis()));
        // Moves the slot even when no captured table changes (idle or filtered databases).
        p.put("heartbeat.action.query", Heartbeats.SQL);
        p.put("poll.interval.ms", String.valueOf(config.pollInterval().toMillis()));
        p.put("max.batch.size", "4096");
        p.put("max.queue.size", "16384");
        p.put("errors.max.retries", "5");
        config.debezium().forEach(p::put);
        return p;
    }

    private static String userFromQuery(URI uri) {
        String q = uri.getQuery();
        if (q != null) {
            for (String part : q.split("&")) {
                if (part.startsWith("user=")) {
                    return part.substring(5);
                }
            }
        }
        return "postgres";
    }

    private static void copyIfSet(Properties from, Properties to, String key, String target) {
        String v = from.getProperty(key);
        if (v != null) {
            to.put(target, v);
        }
    }
}
