package io.sluice.monitor;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Everything the lag monitor needs, already resolved (endpoints are real JDBC URLs and Kafka
 * bootstrap servers). Immutable.
 *
 * @param sourceId  the source whose stream, slot and followers are watched
 * @param primary   the primary (its WAL position, its slot)
 * @param slotName  capture's replication slot
 * @param kafka     Kafka client properties (bootstrap servers, security)
 * @param followers the followers, each with its own staleness rule
 * @param interval  evaluation period
 * @param capture   rule for the capture stage (staleness, seconds)
 * @param slot      rule for the slot stage (retained WAL, bytes)
 * @param http      the HTTP API
 * @param webhooks  where alerts are POSTed, in addition to the log
 */
public record MonitorConfig(String sourceId, Endpoint primary, String slotName, Map<String, Object> kafka,
                            List<FollowerTarget> followers, Duration interval, Rule capture, Rule slot, Http http,
                            Webhooks webhooks) {

    public MonitorConfig {
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(primary, "primary");
        Objects.requireNonNull(slotName, "slotName");
        kafka = Map.copyOf(kafka);
        followers = List.copyOf(followers);
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("evaluation interval must be at least 100 ms: " + interval);
        }
    }

    /** A PostgreSQL server: JDBC URL and connection properties (user, password, SSL). */
    public record Endpoint(String jdbcUrl, Properties properties) {
        public Endpoint {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            Properties copy = new Properties();
            copy.putAll(properties);
            properties = copy;
        }

        @Override
        public Properties properties() {
            Properties copy = new Properties();
            copy.putAll(properties);
            return copy;
        }

        @Override
        public String toString() {
            return jdbcUrl; // never the properties: they may hold a password
        }
    }

    /**
     * One follower and how its staleness is judged. {@code endpoint} is the follower database where
     * its watermark is; null for a follower that keeps its watermark in Kafka ({@code
     * watermarkInKafka}: change topics, FORMAT.md), read from its applier group's committed offset.
     */
    public record FollowerTarget(String name, Endpoint endpoint, boolean sync, Rule rule, boolean watermarkInKafka) {

        public FollowerTarget(String name, Endpoint endpoint, boolean sync, Rule rule) {
            this(name, endpoint, sync, rule, false);
        }

        /** A follower whose watermark is its applier group's committed offset on the stream. */
        public static FollowerTarget watermarkInKafka(String name, Rule rule) {
            return new FollowerTarget(name, null, false, rule, true);
        }
    }

    /**
     * The HTTP API. {@code port} 0 picks a free port. A bearer token, when set, is required on
     * every path but {@code /healthz}.
     */
    public record Http(boolean enabled, String host, int port, Optional<String> bearerToken, int maxConcurrentWaits) {
        public Http {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(bearerToken, "bearerToken");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            if (maxConcurrentWaits < 1) {
                throw new IllegalArgumentException("maxConcurrentWaits must be at least 1: " + maxConcurrentWaits);
            }
        }

        public static Http disabled() {
            return new Http(false, "127.0.0.1", 0, Optional.empty(), 1);
        }

        @Override
        public String toString() {
            return "Http[" + host + ":" + port + (bearerToken.isPresent() ? ", bearer token ****" : "") + "]";
        }
    }

    /** Alert webhooks: each alert is POSTed as JSON, with a timeout and retries, off the evaluation thread. */
    public record Webhooks(List<URI> urls, Duration timeout, int retries) {
        public Webhooks {
            urls = List.copyOf(urls);
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("webhook timeout must be positive: " + timeout);
            }
            if (retries < 0) {
                throw new IllegalArgumentException("webhook retries must be zero or more: " + retries);
            }
        }

        public static Webhooks none() {
            return new Webhooks(List.of(), Duration.ofSeconds(5), 3);
        }
    }
}
