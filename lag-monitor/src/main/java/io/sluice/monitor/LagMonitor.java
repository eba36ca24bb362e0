package io.sluice.monitor;

import io.sluice.format.follower.JdbcDataSource;
import io.sluice.client.SluiceClient;
import io.sluice.format.AppliedOffset;
import io.sluice.format.TopicNames;
import io.sluice.monitor.internal.FollowerProbe;
import io.sluice.monitor.internal.HttpApi;
import io.sluice.monitor.internal.LatencyWindow;
import io.sluice.monitor.internal.PrimaryProbe;
import io.sluice.monitor.internal.StreamProbe;
import io.sluice.monitor.internal.WebhookNotifier;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one source: the primary's WAL and capture slot, the stream on Kafka, and every
 * follower's watermark. Each evaluation (one thread, every {@link MonitorConfig#interval()})
 * issues one query to the primary, one per follower and two Kafka admin requests (plus a fetch
 * when a position moved), computes lag per stage, runs each stage's {@link Evaluator}, and sends
 * one {@link Alert} per transition of a target to the log, the webhooks and the listeners.
 *
 * <p>Time comes from the injected {@link Clock}.
 */
public final class LagMonitor implements AutoCloseable, MonitorApi {

    private static final Logger log = LoggerFactory.getLogger(LagMonitor.class);

    private final MonitorConfig config;
    private final Clock clock;
    private final PrimaryProbe primary;
    private final StreamProbe stream;
    private final Map<String, FollowerEvaluation> followers = new LinkedHashMap<>();
    private final Evaluator streamStage;
    private final CaptureEvaluation capture;
    private final io.sluice.monitor.internal.AlertPublisher publisher;
    /** Token waits on followers whose watermark is a position in Kafka; null when there are none. */
    private final io.sluice.monitor.internal.PositionWaits positionWaits;
    private final AtomicLong primaryQueries = new AtomicLong();
    private final AtomicLong followerQueries = new AtomicLong();
    private final AtomicLong evaluations = new AtomicLong();
    private volatile double lastEvaluationSeconds;
    private volatile Status status;
    private volatile Instant lastEvaluatedAt;
    private Duration skew = Duration.ZERO;
    private ScheduledExecutorService scheduler;
    private HttpApi http;
    private SluiceClient waits;

    public LagMonitor(MonitorConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        Duration timeout = config.interval().compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : config.interval();
        this.primary = new PrimaryProbe(config.primary(), config.sourceId(), config.slotName(), timeout);
        this.stream = new StreamProbe(config.sourceId(), config.kafka(), timeout);
        for (MonitorConfig.FollowerTarget f : config.followers()) {
            followers.put(f.name(), new FollowerEvaluation(config.sourceId(), f, f.watermarkInKafka() ? null
                    : new FollowerProbe(f.endpoint(), config.sourceId(), f.name(), timeout),
                    TopicNames.applierGroup(config.sourceId(), f.name())));
        }
        // Kafka is either reachable or not: OFFLINE after the capture rule's offline duration, nothing else.
        this.streamStage = new Evaluator(new Rule(Rule.Unit.SECONDS, Double.MAX_VALUE, Double.MAX_VALUE, Duration.ZERO,
                1, Duration.ZERO, Duration.ZERO, config.capture().offlineAfter()));
        // A standby slot that synchronized_standby_slots lists and that is inactive: the same, OFFLINE
        // after that duration, since logical decoding waits for it.
        this.capture = new CaptureEvaluation(config, streamStage.rule());
        this.publisher = new io.sluice.monitor.internal.AlertPublisher(config.sourceId(), config.webhooks());
        this.positionWaits = config.followers().stream().anyMatch(MonitorConfig.FollowerTarget::watermarkInKafka)
                ? new io.sluice.monitor.internal.PositionWaits(config.sourceId(), config.kafka()) : null;
    }

    /** Evaluates every {@link MonitorConfig#interval()} on its own thread and starts the HTTP API if enabled. */
    public synchronized void start() {
        if (scheduler != null) {
            throw new IllegalStateException("lag monitor already started");
        }
        publisher.start();
        if (config.http().enabled()) {
            SluiceClient.Builder b = SluiceClient.builder(config.sourceId());
            for (MonitorConfig.FollowerTarget f : config.followers()) {
                if (!f.watermarkInKafka()) { // a token is awaited where a reader reads: a database
                    b.follower(f.name(), new JdbcDataSource(f.endpoint().jdbcUrl(), f.endpoint().properties()), f.sync());
                }
            }
            waits = b.build();
            http = HttpApi.start(config.http(), this);
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-monitor-" + config.sourceId());
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::evaluateQuietly, 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);
        log.info("lag monitor for source {} every {} ms, {} follower(s){}", config.sourceId(), config.interval().toMillis(),
                followers.size(), http == null ? "" : ", HTTP on " + http.address());
    }

    /** Receives every alert, on the evaluation thread: keep it quick. */
    public void addListener(Consumer<Alert> listener) {
        publisher.addListener(listener);
    }

    @Override
    public MonitorConfig config() {
        return config;
    }

    /** The latest evaluation, or empty before the first. */
    @Override
    public Optional<Status> status() {
        return Optional.ofNullable(status);
    }

    /** When the last evaluation finished (for /healthz). */
    @Override
    public Optional<Instant> lastEvaluatedAt() {
        return Optional.ofNullable(lastEvaluatedAt);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    /**
     * Whether {@code follower}, one whose watermark is a position in Kafka (change topics, DuckDB),
     * applies the token's transaction within {@code timeout}: {@code GET /await} for those followers.
     *
     * @throws IllegalArgumentException when the monitor watches no such follower
     */
    @Override
    public boolean awaitPosition(io.sluice.format.ConsistencyToken token, String follower, Duration timeout)
            throws InterruptedException {
        FollowerEvaluation w = followers.get(follower);
        if (w == null || !w.target.watermarkInKafka()) {
            throw new IllegalArgumentException("no follower '" + follower + "' with its watermark in Kafka");
        }
        return positionWaits.await(token, () -> w.status == null ? null : w.status.watermarkLsn(), timeout);
    }

    /** The followers {@link #awaitPosition} waits on. */
    @Override
    public java.util.Set<String> positionFollowers() {
        return config.followers().stream().filter(MonitorConfig.FollowerTarget::watermarkInKafka)
                .map(MonitorConfig.FollowerTarget::name).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Token waits for {@code GET /await}: push-based, one LISTEN connection per follower. Null without HTTP. */
    @Override
    public SluiceClient waits() {
        return waits;
    }

    /** The HTTP API's address, when it runs. */
    public Optional<InetSocketAddress> httpAddress() {
        return Optional.ofNullable(http).map(HttpApi::address);
    }

    @Override
    public SelfStats selfStats() {
        return new SelfStats(evaluations.get(), primaryQueries.get(), followerQueries.get(), stream.requests(),
                lastEvaluationSeconds, publisher.webhooks().sent(), publisher.webhooks().failed(), publisher.webhooks().dropped(),
                publisher.counts());
    }

    private void evaluateQuietly() {
        try {
            evaluate();
        } catch (RuntimeException e) {
            log.error("lag evaluation failed: {}", e.toString(), e);
        }
    }

    /** Runs one evaluation now, on the caller's thread (tests and benchmarks; the scheduler otherwise). */
    public synchronized Status evaluate() {
        long t0 = System.nanoTime();
        Instant now = clock.instant();
        List<Alert> alerts = new ArrayList<>();

        // The primary: WAL position, write rate, slot, walsender.
        PrimaryProbe.Sample p = null;
        String primaryError = null;
        try {
            primaryQueries.incrementAndGet();
            p = primary.sample();
            skew = Duration.between(now, p.now());
            capture.sampled(now, p);
        } catch (Exception e) {
            primaryError = "primary: " + e.getMessage();
        }
        Instant primaryNow = now.plus(skew);

        // Kafka: end offset, the appliers' consumed offsets, the newest event.
        StreamProbe.Offsets offsets = null;
        StreamProbe.Tail tail = null;
        String kafkaError = null;
        try {
            offsets = stream.offsets(followers.values().stream().map(w -> w.group).toList());
            tail = stream.tail(offsets.end()).orElse(null);
        } catch (Exception e) {
            kafkaError = "Kafka: " + e.getMessage();
        }
        record(config.sourceId(), alerts, "stream", streamStage, now,
                kafkaError == null ? Observation.of(0, false, 0) : Observation.unreachable(kafkaError));

        Status.CaptureLag captureLag = capture.evaluate(now, p, primaryError, offsets, tail, alerts);

        // Followers.
        List<Status.Follower> followerStatus = new ArrayList<>();
        for (FollowerEvaluation w : followers.values()) {
            followerStatus.add(w.evaluate(now, primaryNow, offsets, tail, stream, captureLag.stalenessSeconds(),
                    captureLag.lagBytes(), captureLag.writeRate(), alerts, followerQueries));
        }

        long n = evaluations.incrementAndGet();
        Status s = new Status(config.sourceId(), now, n, capture.captureStage(), capture.slotStage(),
                stage("stream", streamStage), captureLag, followerStatus, capture.standbysStage(), p == null ? null : p.failover(),
                publisher.decisions());
        status = s;
        if (positionWaits != null) {
            positionWaits.evaluated();
        }
        lastEvaluatedAt = now;
        lastEvaluationSeconds = (System.nanoTime() - t0) / 1e9;
        for (Alert a : alerts) {
            publish(a);
        }
        return s;
    }

    /**
     * A decision of the automatic promotion (docs/failover.md): kept for {@code /status} and sent at
     * once as a {@code failover} alert.
     */
    public void promotionDecision(State level, String text) {
        publisher.promotionDecision(level, text, clock.instant());
    }

    /** Observes {@code o} with {@code e}; a change of state becomes an alert on {@code target}. */
    static void record(String sourceId, List<Alert> alerts, String target, Evaluator e, Instant now, Observation o) {
        Evaluator.Verdict v = e.observe(now, o);
        if (v.changed()) {
            alerts.add(new Alert(sourceId, target, null, v.previous(), v.state(), now, v.reason(),
                    o.reachable() && e.rule().unit() == Rule.Unit.SECONDS ? o.value() : 0));
        }
    }

    private void publish(Alert a) {
        publisher.publish(a);
    }

    static Status.Stage stage(String name, Evaluator e) {
        return new Status.Stage(name, e.state(), e.since(), e.reason());
    }

    static double age(Instant commitTime, Instant primaryNow) {
        return Math.max(0, Duration.between(commitTime, primaryNow).toNanos() / 1e9);
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (http != null) {
            http.close();
        }
        if (waits != null) {
            waits.close();
        }
        publisher.close();
        if (positionWaits != null) {
            positionWaits.close();
        }
        primary.close();
        followers.values().stream().filter(w -> w.probe != null).forEach(w -> w.probe.close());
        stream.close();
    }
}
