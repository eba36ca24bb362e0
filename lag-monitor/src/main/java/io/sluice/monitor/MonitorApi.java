package io.sluice.monitor;

import io.sluice.client.SluiceClient;
import io.sluice.format.ConsistencyToken;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * What the monitor's HTTP API reads and waits on: the one interface between the monitor
 * ({@link LagMonitor}) and the API it serves, so the API does not depend on the monitor's class.
 */
public interface MonitorApi {

    MonitorConfig config();

    /** The latest evaluation, or empty before the first. */
    Optional<Status> status();

    /** When the last evaluation finished (for /healthz). */
    Optional<Instant> lastEvaluatedAt();

    Clock clock();

    SelfStats selfStats();

    /** Token waits on followers a client reads with SQL (PostgreSQL followers): push-based. */
    SluiceClient waits();

    /** The followers whose watermark is a position in Kafka (change topics, DuckDB): {@link #awaitPosition} waits on them. */
    Set<String> positionFollowers();

    /** Whether such a follower applies the token's transaction within {@code timeout}. */
    boolean awaitPosition(ConsistencyToken token, String follower, Duration timeout) throws InterruptedException;
}
