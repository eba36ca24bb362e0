package io.sluice.monitor;

import io.sluice.format.AppliedOffset;
import io.sluice.format.follower.Watermark;
import io.sluice.monitor.internal.FollowerProbe;
import io.sluice.monitor.internal.LatencyWindow;
import io.sluice.monitor.internal.StreamProbe;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One follower as the monitor judges it: its watermark (read from the follower, or from its
 * applier group's offset metadata), the transport and apply stages, its state and the last status;
 * an alert on each change of state, and on passing into a new epoch. Used by the evaluation thread.
 */
final class FollowerEvaluation {

    private static final int LATENCY_WINDOW = 1024;

    private final String sourceId;
    final MonitorConfig.FollowerTarget target;
    final FollowerProbe probe;
    final Evaluator transport;
    final Evaluator apply;
    final LatencyWindow latency = new LatencyWindow(LATENCY_WINDOW);
    final String group;
    State state = State.OK;
    Instant since;
    Watermark lastWatermark;
    /** A leader's conflicts so far, by kind, as of the last evaluation that read them. */
    java.util.Map<String, Long> conflicts = java.util.Map.of();
    Status.Follower status;
    /** The epoch of the follower's watermark at the last look (-1 before the first), and whether its change was just alerted. */
    long epoch = -1;
    boolean epochAlerted;

    FollowerEvaluation(String sourceId, MonitorConfig.FollowerTarget target, FollowerProbe probe, String group) {
        this.sourceId = sourceId;
        this.target = target;
        this.probe = probe;
        this.transport = new Evaluator(target.rule());
        this.apply = new Evaluator(target.rule());
        this.group = group;
    }

    /**
     * One evaluation of the follower: its watermark read (or taken from the offset metadata of
     * {@code offsets}), transport and apply judged, an alert added on a change of state.
     */
    Status.Follower evaluate(Instant now, Instant primaryNow, StreamProbe.Offsets offsets, StreamProbe.Tail tail,
                             StreamProbe stream, double captureStaleness, long captureLag, double rate, List<Alert> alerts,
                             AtomicLong followerQueries) {
        FollowerEvaluation w = this;
        Optional<Watermark> wm = Optional.empty();
        String error = null;
        try {
            if (w.probe == null) {
                StreamProbe.Offsets o = offsets;
                wm = Optional.ofNullable(o == null ? null : o.metadata().get(w.group)).filter(AppliedOffset::is)
                        .map(md -> Watermark.fromOffset(AppliedOffset.parse(md), o.committed().get(w.group)));
            } else {
                followerQueries.addAndGet(2);
                wm = w.probe.watermark();
                w.conflicts = w.probe.conflicts();
            }
        } catch (Exception e) {
            error = "follower " + w.target.name() + ": " + e.getMessage();
        }
        Watermark m = wm.orElse(null);
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
            applyStaleness = unapplied.map(tx -> LagMonitor.age(tx.commitTime(), primaryNow)).orElse(0.0);
            transportStaleness = unconsumed.map(tx -> LagMonitor.age(tx.commitTime(), primaryNow)).orElse(0.0);
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
            alerts.add(new Alert(sourceId, "follower", w.target.name(), w.state, combined, now, reason,
                    Math.max(captureStaleness, applyStaleness)));
            w.state = combined;
            w.since = now;
        }
        double staleness = Math.max(captureStaleness, applyStaleness);
        w.status = new Status.Follower(w.target.name(), w.target.sync(), w.state, w.since, reason,
                LagMonitor.stage("transport", w.transport), LagMonitor.stage("apply", w.apply), m == null ? null : m.commitLsn(),
                m == null ? null : m.xid(), m == null ? null : m.commitTime(), consumed, transportRecords,
                transportStaleness, applyLag, applyStaleness, staleness, captureLag + applyLag,
                Math.round(rate * staleness), w.latency.summary(), m == null ? 0 : m.epoch(), m == null ? null : m.epochFollower(),
                w.conflicts);
        return w.status;
    }

    /**
     * A follower that passed a promotion marker (docs/failover.md): a warning that the stream has a
     * new primary, cleared at the next look. The first look after the monitor starts only notes the epoch.
     */
    private void epochAlerts(FollowerEvaluation w, Watermark m, Instant now, List<Alert> alerts) {
        String name = w.target.name();
        if (w.epochAlerted) {
            alerts.add(new Alert(sourceId, "epoch", name, State.WARN, State.OK, now, "follower " + name
                    + " is in epoch " + m.epoch(), 0));
            w.epochAlerted = false;
        }
        if (w.epoch >= 0 && m.epoch() > w.epoch) {
            alerts.add(new Alert(sourceId, "epoch", name, State.OK, State.WARN, now, "follower " + name
                    + " passed into epoch " + m.epoch() + ": follower " + m.epochFollower() + " was promoted to primary; point"
                    + " primary.url at it (docs/failover.md)", 0));
            w.epochAlerted = true;
        }
        w.epoch = m.epoch();
    }
}
