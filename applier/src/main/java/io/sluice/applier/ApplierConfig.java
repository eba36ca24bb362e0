package io.sluice.applier;

import io.sluice.format.Lsn;
import io.sluice.format.SourceId;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * One applier: one source's stream onto one follower. Immutable; {@code toString()} never shows
 * the connection properties, which hold secrets.
 *
 * @param sourceId        the source whose stream {@code sluice.<sourceId>.stream} is applied
 * @param followerName    the follower's name (consumer group {@code sluice-applier-<source>-<follower>})
 * @param jdbcUrl         the follower database
 * @param connection      pgjdbc properties (user, password, ssl …)
 * @param kafka           Kafka client properties (bootstrap.servers, security …)
 * @param maxGroupTransactions most source transactions grouped into one follower transaction
 * @param maxGroupEvents  most row events in one group before it commits
 * @param retryBackoffMax the longest wait between retries of a retriable failure
 * @param skipCommitLsn   an explicit operator action: skip the source transaction with this
 *                        commit LSN (logged and recorded in {@code sluice.skipped_transaction})
 * @param kind            what the follower is: a PostgreSQL database at {@code jdbcUrl}, keyed
 *                        change topics on the stream's Kafka ({@code jdbcUrl} unused), or a DuckDB
 *                        file at {@code jdbcUrl}
 * @param conflicts       null for a follower only the applier writes; otherwise the follower is
 *                        another leader that takes writes of its own, and each change is checked
 *                        against its row and resolved by this resolver (docs/multi-leader.md)
 */
public record ApplierConfig(String sourceId, String followerName, String jdbcUrl, Properties connection,
                            Map<String, Object> kafka, int maxGroupTransactions, int maxGroupEvents,
                            Duration retryBackoffMax, Optional<Lsn> skipCommitLsn, Kind kind, ConflictResolver conflicts) {


    /** The kinds of follower store (docs/applier.md, "Store kinds"). */
    public enum Kind {
        /** A PostgreSQL database: tables kept in the primary's shape, the watermark in {@code sluice.watermark}. */
        POSTGRESQL,
        /** One compacted Kafka topic per table, keyed by primary key; the watermark is the committed stream offset. */
        TOPICS,
        /** An embedded DuckDB database file at {@code jdbcUrl} ({@code jdbc:duckdb:<file>}); the watermark in {@code sluice.watermark} in it. */
        DUCKDB;

        /** The configuration's spelling: {@code postgresql}, {@code topics} or {@code duckdb}. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final int DEFAULT_MAX_GROUP_TRANSACTIONS = 5000;
    public static final int DEFAULT_MAX_GROUP_EVENTS = 50_000;

    public ApplierConfig {
        SourceId.require(sourceId);
        Objects.requireNonNull(followerName, "followerName");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Properties copy = new Properties();
        copy.putAll(connection);
        connection = copy;
        kafka = Map.copyOf(kafka);
        if (maxGroupTransactions < 1 || maxGroupEvents < 1) {
            throw new IllegalArgumentException("group limits must be at least 1");
        }
        Objects.requireNonNull(retryBackoffMax, "retryBackoffMax");
        Objects.requireNonNull(skipCommitLsn, "skipCommitLsn");
        Objects.requireNonNull(kind, "kind");
        if (conflicts != null) {
            maxGroupTransactions = 1; // each applied change keeps its own source commit time and origin
        }
        if (conflicts != null && kind != Kind.POSTGRESQL) {
            throw new IllegalArgumentException("follower " + followerName + ": conflict resolution is for a PostgreSQL"
                    + " follower that is a leader itself, not a " + kind.key() + " follower");
        }
    }

    /** Defaults for everything but the endpoints. */
    public static ApplierConfig of(String sourceId, String followerName, String jdbcUrl, Properties connection,
                                   Map<String, Object> kafka) {
        return new ApplierConfig(sourceId, followerName, jdbcUrl, connection, kafka, DEFAULT_MAX_GROUP_TRANSACTIONS,
                DEFAULT_MAX_GROUP_EVENTS, Duration.ofSeconds(10), Optional.empty(), Kind.POSTGRESQL, null);
    }

    @Override
    public Properties connection() {
        Properties copy = new Properties();
        copy.putAll(connection);
        return copy;
    }

    public ApplierConfig withSkip(Lsn lsn) {
        return new ApplierConfig(sourceId, followerName, jdbcUrl, connection, kafka, maxGroupTransactions, maxGroupEvents,
                retryBackoffMax, Optional.of(lsn), kind, conflicts);
    }

    public ApplierConfig withGroupLimits(int transactions, int events) {
        return new ApplierConfig(sourceId, followerName, jdbcUrl, connection, kafka, transactions, events,
                retryBackoffMax, skipCommitLsn, kind, conflicts);
    }

    public ApplierConfig withKind(Kind newKind) {
        return new ApplierConfig(sourceId, followerName, jdbcUrl, connection, kafka, maxGroupTransactions, maxGroupEvents,
                retryBackoffMax, skipCommitLsn, newKind, conflicts);
    }

    /**
     * The same follower as a leader whose own writes meet the stream's: one source transaction per
     * follower transaction (each applied change keeps its own commit time and origin), resolved by {@code rule}.
     */
    public ApplierConfig withConflicts(ConflictResolver rule) {
        return new ApplierConfig(sourceId, followerName, jdbcUrl, connection, kafka,
                maxGroupTransactions, maxGroupEvents, retryBackoffMax, skipCommitLsn, kind, rule);
    }

    @Override
    public String toString() {
        return "ApplierConfig[source=" + sourceId + ", follower=" + followerName + ", kind=" + kind.key() + ", url=" + jdbcUrl
                + ", group<=" + maxGroupTransactions + " tx/" + maxGroupEvents + " events"
                + (conflicts == null ? "" : ", conflicts=" + conflicts.name())
                + skipCommitLsn.map(l -> ", skip=" + l).orElse("") + "]";
    }
}
