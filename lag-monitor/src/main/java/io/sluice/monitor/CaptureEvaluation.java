package io.sluice.monitor;

import io.sluice.format.Lsn;
import io.sluice.monitor.internal.PrimaryProbe;
import io.sluice.monitor.internal.RateWindow;
import io.sluice.monitor.internal.StreamProbe;
import io.sluice.monitor.internal.WalSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The primary's side of an evaluation: capture (connected, how far behind the WAL, how stale), its
 * slot (the WAL it holds back) and the standbys logical decoding waits for — each a stage with its
 * rule — and the write rate and WAL history that turn positions into ages.
 *
 * <p>Not thread-safe: the monitor's evaluation.
 */
final class CaptureEvaluation {

    private final String sourceId;
    private final String slotName;
    private final Evaluator capture;
    private final Evaluator slot;
    private final Evaluator standbys;
    private final WalSamples walSamples = new WalSamples();
    private final RateWindow writeRate = new RateWindow(Duration.ofSeconds(60));

    /** {@code standbysRule}: a standby slot that holds decoding back goes OFFLINE after that rule's duration. */
    CaptureEvaluation(MonitorConfig config, Rule standbysRule) {
        this.sourceId = config.sourceId();
        this.slotName = config.slotName();
        this.capture = new Evaluator(config.capture());
        this.slot = new Evaluator(config.slot());
        this.standbys = new Evaluator(standbysRule);
    }

    /** A sample of the primary taken at {@code now}: its write rate and WAL position over time. */
    void sampled(Instant now, PrimaryProbe.Sample p) {
        writeRate.record(now, p.nextXid());
        walSamples.record(now, p.walLsn());
    }

    /**
     * The three stages for this evaluation, their changes added to {@code alerts}; {@code p} is null
     * when the primary could not be sampled ({@code primaryError} says why), {@code offsets} and
     * {@code tail} when Kafka could not be read.
     */
    Status.CaptureLag evaluate(Instant now, PrimaryProbe.Sample p, String primaryError, StreamProbe.Offsets offsets,
                               StreamProbe.Tail tail, List<Alert> alerts) {
        Lsn decoded = p == null ? null : p.sentLsn() != null ? p.sentLsn() : p.confirmedLsn();
        double staleness = p == null ? 0 : walSamples.staleness(decoded, now).toNanos() / 1e9;
        Lsn captured = Lsn.later(tail == null ? null : tail.lsn(), p == null ? null : p.confirmedLsn());
        long lag = p == null || captured == null ? 0 : Math.max(0, p.walLsn().minus(captured));
        double rate = writeRate.perSecond();
        Observation captureObs;
        if (p == null) {
            captureObs = Observation.unreachable(primaryError);
        } else if (!p.slotFound()) {
            captureObs = Observation.unreachable("slot " + slotName + " does not exist (capture never started?)");
        } else if (!p.slotActive()) {
            captureObs = Observation.unreachable("capture is not connected to slot " + slotName);
        } else if (offsets == null) {
            captureObs = null; // cannot see the stream: keep the state (the stream stage says why)
        } else {
            // Heartbeats put a new event on the stream every heartbeat interval even when idle: a
            // stream end that does not move for the stall duration means capture is stuck.
            captureObs = Observation.of(staleness, true, offsets.end());
        }
        if (captureObs != null) {
            LagMonitor.record(sourceId, alerts, "capture", capture, now, captureObs);
        }
        Observation slotObs = p == null ? Observation.unreachable(primaryError)
                : !p.slotFound() ? Observation.unreachable("slot " + slotName + " does not exist")
                : Observation.of(p.retainedBytes(), p.confirmedLsn() != null && p.walLsn().isAfter(p.confirmedLsn()),
                        p.confirmedLsn() == null ? 0 : p.confirmedLsn().value());
        LagMonitor.record(sourceId, alerts, "slot", slot, now, slotObs);
        Status.Failover failover = p == null ? null : p.failover();
        if (failover != null) {
            List<String> holding = failover.holdingBack();
            LagMonitor.record(sourceId, alerts, "standbys", standbys, now, holding.isEmpty() ? Observation.of(0, false, 0)
                    : Observation.unreachable("standby slot(s) " + String.join(", ", holding) + " listed in"
                    + " synchronized_standby_slots are inactive: logical decoding waits for them, so capture and every"
                    + " other logical consumer of the primary stall until the standby is back or the setting drops it"));
        }
        return new Status.CaptureLag(p == null ? null : p.walLsn(), decoded, captured, lag, staleness, lag,
                Math.round(rate * staleness), rate, p != null && p.slotActive(), p == null ? 0 : p.retainedBytes(),
                p == null ? null : p.walStatus(), offsets == null ? -1 : offsets.end());
    }

    Status.Stage captureStage() {
        return LagMonitor.stage("capture", capture);
    }

    Status.Stage slotStage() {
        return LagMonitor.stage("slot", slot);
    }

    Status.Stage standbysStage() {
        return LagMonitor.stage("standbys", standbys);
    }
}
