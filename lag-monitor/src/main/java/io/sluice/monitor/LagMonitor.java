package io.sluice.monitor;

import io.sluice.client.JdbcDataSource;
import io.sluice.client.SluiceClient;
import io.sluice.format.Lsn;
import io.sluice.format.AppliedOffset;
import io.sluice.format.TopicNames;
import io.sluice.monitor.internal.FollowerProbe;
import io.sluice.monitor.internal.HttpApi;
import io.sluice.monitor.internal.LatencyWindow;
import io.sluice.monitor.internal.PrimaryProbe;
import io.sluice.monitor.internal.RateWindow;
import io.sluice.monitor.internal.StreamProbe;
import io.sluice.monitor.internal.WalSamples;
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
public final class LagMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LagMonitor.class);
    private static final int LATENCY_WINDOW = 1024;

    private final MonitorConfig config;
    private final Clock clock;
    private final PrimaryProbe primary;
    private final StreamProbe stream;
    private final Map<String, FollowerWatch> followers = new LinkedHashMap<>();
    private final Evaluator captureStage;
    private final Evaluator slotStage;
    private final Evaluator streamStage;
    private final Evaluator standbysStage;
    private final WalSamples walSamples = new WalSamples();
    private final RateWindow writeRate = new RateWindow(Duration.ofSeconds(60));
    private final List<Consumer<Alert>> listeners = new CopyOnWriteArrayList<>();
    private final WebhookNotifier webhooks;
    /** Token waits on followers whose watermark is a position in Kafka; null when there are none. */
    private final io.sluice.monitor.internal.PositionWaits positionWaits;
    private final Map<String, AtomicLong> alertCounts = new java.util.concurrent.ConcurrentHashMap<>();
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

    private static final class FollowerWatch {
        final MonitorConfig.FollowerTarget target;
        final FollowerProbe probe;
        final Evaluator transport;
        final Evaluator apply;
        final LatencyWindow latency = new LatencyWindow(LATENCY_WINDOW);
        final String group;
        State state = State.OK;
        Instant since;
        FollowerProbe.Watermark lastWatermark;
        Status.Follower status;
        /** The epoch of the follower's watermark at the last look (-1 before the first), and whether its change was just alerted. */
        long epoch = -1;
        boolean epochAlerted;

        FollowerWatch(MonitorConfig.FollowerTarget target, FollowerProbe probe, String group) {
            this.target = target;
            this.probe = probe;
            this.transport = new Evaluator(target.rule());
            this.apply = new Evaluator(target.rule());
            this.group = group;
        }
    }

    public LagMonitor(MonitorConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        Duration timeout = config.interval().compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : config.interval();
        this.primary = new PrimaryProbe(config.primary(), config.slotName(), timeout);
        this.stream = new StreamProbe(config.sourceId(), config.kafka(), timeout);
        for (MonitorConfig.FollowerTarget f : config.followers()) {
            followers.put(f.name(), new FollowerWatch(f, f.watermarkInKafka() ? null
                    : new FollowerProbe(f.endpoint(), config.sourceId(), f.name(), timeout),
                    TopicNames.applierGroup(config.sourceId(), f.name())));
        }
        this.captureStage = new Evaluator(config.capture());
        this.slotStage = new Evaluator(config.slot());
        // Kafka is either reachable or not: OFFLINE after the capture rule's offline duration, nothing else.
        this.streamStage = new Evaluator(new Rule(Rule.Unit.SECONDS, Double.MAX_VALUE, Double.MAX_VALUE, Duration.ZERO,
                1, Duration.ZERO, Duration.ZERO, config.capture().offlineAfter()));
        // A standby slot that synchronized_standby_slots lists and that is inactive: the same, OFFLINE
        // after that duration, since logical decoding waits for it.
        this.standbysStage = new Evaluator(streamStage.rule());
        this.webhooks = new WebhookNotifier(config.webhooks());
        this.positionWaits = config.followers().stream().anyMatch(MonitorConfig.FollowerTarget::watermarkInKafka)
                ? new io.sluice.monitor.internal.PositionWaits(config.sourceId(), config.kafka()) : null;
    }

    /** Evaluates every {@link MonitorConfig#interval()} on its own thread and starts the HTTP API if enabled. */
    public synchronized void start() {
        if (scheduler != null) {
            throw new IllegalStateException("lag monitor already started");
        }
        webhooks.start();
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
        listeners.add(listener);
    }

    public MonitorConfig config() {
        return config;
    }

    /** The latest evaluation, or empty before the first. */
    public Optional<Status> status() {
        return Optional.ofNullable(status);
    }

    /** When the last evaluation finished (for /healthz). */
    public Optional<Instant> lastEvaluatedAt() {
        return Optional.ofNullable(lastEvaluatedAt);
    }

    public Clock clock() {
        return clock;
    }

    /**
     * Whether {@code follower}, one whose watermark is a position in Kafka (change topics, DuckDB),
     * applies the token's transaction within {@code timeout}: {@code GET /await} for those followers.
     *
     * @throws IllegalArgumentException when the monitor watches no such follower
     */
    public boolean awaitPosition(io.sluice.format.ConsistencyToken token, String follower, Duration timeout)
            throws InterruptedException {
        FollowerWatch w = followers.get(follower);
        if (w == null || !w.target.watermarkInKafka()) {
            throw new IllegalArgumentException("no follower '" + follower + "' with its watermark in Kafka");
        }
        return positionWaits.await(token, () -> w.status == null ? null : w.status.watermarkLsn(), timeout);
    }

    /** The followers {@link #awaitPosition} waits on. */
    public java.util.Set<String> positionFollowers() {
        return config.followers().stream().filter(MonitorConfig.FollowerTarget::watermarkInKafka)
                .map(MonitorConfig.FollowerTarget::name).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Token waits for {@code GET /await}: push-based, one LISTEN connection per follower. Null without HTTP. */
    public SluiceClient waits() {
        return waits;
    }

    /** The HTTP API's address, when it runs. */
    public Optional<InetSocketAddress> httpAddress() {
        return Optional.ofNullable(http).map(HttpApi::address);
    }

    /** Counters about the monitor itself, for /metrics and the overhead benchmark. */
    public record SelfStats(long evaluations, long primaryQueries, long followerQueries, long kafkaRequests,
                            double lastEvaluationSeconds, long webhookSent, long webhookFailed, long webhookDropped,
                            Map<String, Long> alerts) { }

    public SelfStats selfStats() {
        Map<String, Long> alerts = new java.util.TreeMap<>();
        alertCounts.forEach((k, v) -> alerts.put(k, v.get()));
        return new SelfStats(evaluations.get(), primaryQueries.get(), followerQueries.get(), stream.requests(),
                lastEvaluationSeconds, webhooks.sent(), webhooks.failed(), webhooks.dropped(), alerts);
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
            writeRate.record(now, p.nextXid());
            walSamples.record(now, p.walLsn());
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
        record(alerts, "stream", null, streamStage, now,
                kafkaError == null ? Observation.of(0, false, 0) : Observation.unreachable(kafkaError));

        // Capture.
        Lsn decoded = p == null ? null : p.sentLsn() != null ? p.sentLsn() : p.confirmedLsn();
        double captureStaleness = p == null ? 0 : seconds(walSamples.staleness(decoded, now));
        Lsn captured = max(tail == null ? null : tail.lsn(), p == null ? null : p.confirmedLsn());
        long captureLag = p == null || captured == null ? 0 : Math.max(0, p.walLsn().minus(captured));
        double rate = writeRate.perSecond();
        Observation captureObs;
        if (p == null) {
            captureObs = Observation.unreachable(primaryError);
        } else if (!p.slotFound()) {
            captureObs = Observation.unreachable("slot " + config.slotName() + " does not exist (capture never started?)");
        } else if (!p.slotActive()) {
            captureObs = Observation.unreachable("capture is not connected to slot " + config.slotName());
        } else if (offsets == null) {
            captureObs = null; // cannot see the stream: keep the state (the stream stage says why)
        } else {
            // Heartbeats put a new event on the stream every heartbeat interval even when idle: a
            // stream end that does not move for the stall duration means capture is stuck.
            captureObs = Observation.of(captureStaleness, true, offsets.end());
        }
        if (captureObs != null) {
            record(alerts, "capture", null, captureStage, now, captureObs);
        }
        Observation slotObs = p == null ? Observation.unreachable(primaryError)
                : !p.slotFound() ? Observation.unreachable("slot " + config.slotName() + " does not exist")
                : Observation.of(p.retainedBytes(), p.confirmedLsn() != null && p.walLsn().isAfter(p.confirmedLsn()),
                        p.confirmedLsn() == null ? 0 : p.confirmedLsn().value());
        record(alerts, "slot", null, slotStage, now, slotObs);
        Status.Failover failover = p == null ? null : p.failover();
        if (failover != null) {
            List<String> holding = failover.holdingBack();
            record(alerts, "standbys", null, standbysStage, now, holding.isEmpty() ? Observation.of(0, false, 0)
                    : Observation.unreachable("standby slot(s) " + String.join(", ", holding) + " listed in"
                    + " synchronized_standby_slots are inactive: logical decoding waits for them, so capture and every"
                    + " other logical consumer of the primary stall until the standby is back or the setting drops it"));
        }
        Status.CaptureLag captureLagStatus = new Status.CaptureLag(p == null ? null : p.walLsn(), decoded, captured,
                captureLag, captureStaleness, captureLag, Math.round(rate * captureStaleness), rate,
                p != null && p.slotActive(), p == null ? 0 : p.retainedBytes(), p == null ? null : p.walStatus(),
                offsets == null ? -1 : offsets.end());

        // Followers.
        List<Status.Follower> followerStatus = new ArrayList<>();
        for (FollowerWatch w : followers.values()) {
            followerStatus.add(evaluateFollower(w, now, primaryNow, offsets, tail, captureStaleness, captureLag, rate, alerts));
        }

        long n = evaluations.incrementAndGet();
        Status s = new Status(config.sourceId(), now, n, stage("capture", captureStage), stage("slot", slotStage),
                stage("stream", streamStage), captureLagStatus, followerStatus, stage("standbys", standbysStage), failover,
                List.copyOf(decisions));
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

    /** A change-topics follower's watermark, from its applier group's offset metadata (FORMAT.md, "Change topics"). */
    private static FollowerProbe.Watermark watermark(String metadata, long committed) {
        AppliedOffset a = AppliedOffset.parse(metadata);
        // The committed offset is the next to read; the watermark's stream offset is the one before it.
        return new FollowerProbe.Watermark(a.commitLsn(), a.xid(), a.commitTime(), committed - 1, a.appliedAt(), a.transactions(),
                a.epoch(), a.epochFollower());
    }

    private Status.Follower evaluateFollower(FollowerWatch w, Instant now, Instant primaryNow, StreamProbe.Offsets offsets,
                                             StreamProbe.Tail tail, double captureStaleness, long captureLag, double rate,
                                             List<Alert> alerts) {
        Optional<FollowerProbe.Watermark> wm = Optional.empty();
        String error = null;
        try {
            if (w.probe == null) {
                StreamProbe.Offsets o = offsets;
                wm = Optional.ofNullable(o == null ? null : o.metadata().get(w.group)).filter(AppliedOffset::is)
                        .map(md -> watermark(md, o.committed().get(w.group)));
            } else {
                followerQueries.incrementAndGet();
                wm = w.probe.watermark();
            }
        } catch (Exception e) {
            error = "follower " + w.target.name() + ": " + e.getMessage();
        }
        FollowerProbe.Watermark m = wm.orElse(null);
        if (m != null) {
            epochAlerts(w, m, now, alerts);
        }
        if (m != null && (w.lastWatermark == null || !m.commitLsn().equals(w.lastWatermark.commitLsn()))) {
            if (w.lastWatermark != null) {
                w.latency.record(Duration.between(m.commitTime(), m.appliedAt()).toNanos() / 1e9);
            }
            w.lastWatermark = m;
        }
        long next = m == null ? 0 : m.streamOffset() + 1;
        long consumed = next;
        long transportRecords = 0;
        double transportStaleness = 0;
        double applyStaleness = 0;
        long applyLag = 0;
        Observation transportObs = null;
        Observation applyObs = null;
        if (error != null) {
            transportObs = Observation.unreachable(error);
            applyObs = transportObs;
        } else if (offsets != null) {
            Long committed = offsets.committed().get(w.group);
            consumed = committed == null ? next : Math.max(committed, next);
            transportRecords = Math.max(0, offsets.end() - consumed);
            Optional<StreamProbe.Tx> unapplied = stream.firstTransaction(next, offsets.end());
            Optional<StreamProbe.Tx> unconsumed = consumed == next ? unapplied : stream.firstTransaction(consumed, offsets.end());
            applyStaleness = unapplied.map(tx -> age(tx.commitTime(), primaryNow)).orElse(0.0);
            transportStaleness = unconsumed.map(tx -> age(tx.commitTime(), primaryNow)).orElse(0.0);
            if (unapplied.isPresent() && tail != null) {
                applyLag = Math.max(0, tail.lsn().minus(m == null ? unapplied.get().commitLsn() : m.commitLsn()));
            }
            transportObs = Observation.of(transportStaleness, unconsumed.isPresent(), consumed);
            applyObs = Observation.of(applyStaleness, unapplied.isPresent(), next);
        }
        if (transportObs != null) {
            w.transport.observe(now, transportObs);
            w.apply.observe(now, applyObs);
        }
        State combined = State.worst(w.transport.state(), w.apply.state());
        Evaluator worst = w.apply.state() == combined ? w.apply : w.transport;
        String reason = (worst == w.apply ? "apply " : "transport ") + worst.reason();
        if (w.since == null) {
            w.since = now;
        }
        if (combined != w.state) {
            alerts.add(new Alert(config.sourceId(), "follower", w.target.name(), w.state, combined, now, reason,
                    Math.max(captureStaleness, applyStaleness)));
            w.state = combined;
            w.since = now;
        }
        double staleness = Math.max(captureStaleness, applyStaleness);
        w.status = new Status.Follower(w.target.name(), w.target.sync(), w.state, w.since, reason,
                stage("transport", w.transport), stage("apply", w.apply), m == null ? null : m.commitLsn(),
                m == null ? null : m.xid(), m == null ? null : m.commitTime(), consumed, transportRecords,
                transportStaleness, applyLag, applyStaleness, staleness, captureLag + applyLag,
                Math.round(rate * staleness), w.latency.summary(), m == null ? 0 : m.epoch(), m == null ? null : m.epochFollower());
        return w.status;
    }

    /**
     * A follower that passed a promotion marker (docs/failover.md): a warning that the stream has a
     * new primary, cleared at the next look. The first look after the monitor starts only notes the epoch.
     */
    private void epochAlerts(FollowerWatch w, FollowerProbe.Watermark m, Instant now, List<Alert> alerts) {
        String name = w.target.name();
        if (w.epochAlerted) {
            alerts.add(new Alert(config.sourceId(), "epoch", name, State.WARN, State.OK, now, "follower " + name
                    + " is in epoch " + m.epoch(), 0));
            w.epochAlerted = false;
        }
        if (w.epoch >= 0 && m.epoch() > w.epoch) {
            alerts.add(new Alert(config.sourceId(), "epoch", name, State.OK, State.WARN, now, "follower " + name
                    + " passed into epoch " + m.epoch() + ": follower " + m.epochFollower() + " was promoted to primary; point"
                    + " primary.url at it (docs/failover.md)", 0));
            w.epochAlerted = true;
        }
        w.epoch = m.epoch();
    }

    /** The last decisions of an automatic promotion running beside the monitor, shown in {@code /status}. */
    private final java.util.concurrent.ConcurrentLinkedDeque<Status.Decision> decisions = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private static final int DECISIONS_KEPT = 20;
    private volatile State promotionLevel = State.OK;

    /**
     * A decision of the automatic promotion (docs/failover.md): kept for {@code /status} and sent at
     * once as a {@code failover} alert, every one of them ({@code level} WARN while it is waiting to
     * promote or promoting, OK when the primary answers again).
     */
    public void promotionDecision(State level, String text) {
        Instant now = clock.instant();
        decisions.addLast(new Status.Decision(now, level, text));
        while (decisions.size() > DECISIONS_KEPT) {
            decisions.pollFirst();
        }
        publish(new Alert(config.sourceId(), "failover", null, promotionLevel, level, now, text, 0));
        promotionLevel = level;
    }

    private void record(List<Alert> alerts, String target, String follower, Evaluator e, Instant now, Observation o) {
        Evaluator.Verdict v = e.observe(now, o);
        if (v.changed()) {
            alerts.add(new Alert(config.sourceId(), target, follower, v.previous(), v.state(), now, v.reason(),
                    o.reachable() && e.rule().unit() == Rule.Unit.SECONDS ? o.value() : 0));
        }
    }

    private void publish(Alert a) {
        alertCounts.computeIfAbsent(a.name() + "|" + a.to().label(), k -> new AtomicLong()).incrementAndGet();
        if (a.recovery()) {
            log.info("RECOVERED {}", a);
        } else if (a.to() == State.WARN) {
            log.warn("ALERT {}", a);
        } else {
            log.error("ALERT {}", a);
        }
        webhooks.send(a);
        for (Consumer<Alert> l : listeners) {
            try {
                l.accept(a);
            } catch (RuntimeException e) {
                log.warn("alert listener failed: {}", e.toString());
            }
        }
    }

    private static Status.Stage stage(String name, Evaluator e) {
        return new Status.Stage(name, e.state(), e.since(), e.reason());
    }

    private static double age(Instant commitTime, Instant primaryNow) {
        return Math.max(0, Duration.between(commitTime, primaryNow).toNanos() / 1e9);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static Lsn max(Lsn a, Lsn b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.isAfter(b) ? a : b;
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
        webhooks.close();
        if (positionWaits != null) {
            positionWaits.close();
        }
        primary.close();
        followers.values().stream().filter(w -> w.probe != null).forEach(w -> w.probe.close());
        stream.close();
    }
}
