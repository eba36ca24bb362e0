package io.sluice.monitor;

import io.sluice.format.Lsn;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One evaluation's result: every stage's state and lag. What {@code GET /status} serves and
 * {@code GET /metrics} exposes. Immutable.
 */
public record Status(String source, Instant at, long evaluation, Stage capture, Stage slot, Stage stream,
                     CaptureLag captureLag, List<Follower> followers, Stage standbys, Failover failover,
                     List<Decision> promotionDecisions) {

    public Status {
        followers = List.copyOf(followers);
        promotionDecisions = List.copyOf(promotionDecisions);
    }

    /** A decision of the automatic promotion running with the monitor (docs/failover.md), newest last. */
    public record Decision(Instant at, State level, String text) { }

    /**
     * Whether capture could follow a failover to a standby (PostgreSQL 17; null before it, or while
     * the primary is unreachable): docs/capture.md, "Failover".
     *
     * @param failoverSlot capture's slot is a failover slot (null when the slot does not exist)
     * @param standbySlots the primary's physical slots and the names {@code synchronized_standby_slots} lists
     * @param standbys     the other hosts of the primary's URL
     */
    public record Failover(Boolean failoverSlot, List<StandbySlot> standbySlots, List<Standby> standbys) {
        public Failover {
            standbySlots = List.copyOf(standbySlots);
            standbys = List.copyOf(standbys);
        }

        /** The listed standby slots logical decoding now waits for: inactive, or missing. */
        public List<String> holdingBack() {
            return standbySlots.stream().filter(s -> s.listed() && !s.active()).map(StandbySlot::name).toList();
        }
    }

    /**
     * A physical slot on the primary, or a name {@code synchronized_standby_slots} lists.
     *
     * @param behindBytes WAL the slot's standby has not confirmed
     */
    public record StandbySlot(String name, boolean listed, boolean exists, boolean active, long behindBytes) { }

    /**
     * Another host of the primary's URL.
     *
     * @param slotSynced       it holds a synchronised copy of capture's slot
     * @param slotConfirmedLsn how far that copy is confirmed
     * @param error            why it could not be reached, or null
     */
    public record Standby(String host, boolean reachable, boolean inRecovery, boolean slotSynced, Lsn slotConfirmedLsn,
                          String error) { }

    /** A stage's state, since when, and why. */
    public record Stage(String name, State state, Instant since, String reason) { }

    /**
     * The capture side. Positions are null while unknown (primary or Kafka unreachable).
     *
     * @param walLsn             the primary's current WAL position
     * @param decodedLsn         how far capture's walsender has decoded (its confirmed position when disconnected)
     * @param capturedLsn        the newest position on the stream (a commit or a heartbeat)
     * @param lagBytes           WAL written on the primary and not yet on the stream
     * @param stalenessSeconds   age of the oldest WAL not yet decoded by capture (0 when caught up, also when idle)
     * @param atRiskBytes        what the loss of the primary now would lose: WAL not on Kafka
     * @param atRiskTransactions the same as write transactions: write rate × staleness
     * @param writeRate          write transactions per second on the primary (transaction ids consumed)
     */
    public record CaptureLag(Lsn walLsn, Lsn decodedLsn, Lsn capturedLsn, long lagBytes, double stalenessSeconds,
                             long atRiskBytes, long atRiskTransactions, double writeRate, boolean slotActive,
                             long slotRetainedBytes, String slotWalStatus, long streamEndOffset) { }

    /**
     * One follower.
     *
     * @param consumedOffset            the next stream offset the applier has not acknowledged
     * @param transportLagRecords       stream records the applier has not consumed
     * @param transportStalenessSeconds age of the oldest transaction on the stream not consumed
     * @param applyLagBytes             source WAL between the follower's watermark and the stream's newest position, when behind
     * @param applyStalenessSeconds     age of the oldest transaction on the stream not applied (0 when caught up)
     * @param stalenessSeconds          end to end: age of the oldest commit on the primary the follower does not show
     * @param atRiskBytes               WAL committed on the primary and not applied here
     * @param atRiskTransactions        write rate × end-to-end staleness
     * @param conflicts                 a leader's conflicts so far, by kind (docs/multi-leader.md); empty otherwise
     */
    public record Follower(String name, boolean sync, State state, Instant since, String reason, Stage transport,
                           Stage apply, Lsn watermarkLsn, Long watermarkXid, Instant watermarkCommitTime,
                           long consumedOffset, long transportLagRecords, double transportStalenessSeconds,
                           long applyLagBytes, double applyStalenessSeconds, double stalenessSeconds,
                           long atRiskBytes, long atRiskTransactions, LatencySummary latency, long epoch,
                           String promotedFollower, Map<String, Long> conflicts) {
        public Follower {
            conflicts = Map.copyOf(conflicts);
        }
    }

    /**
     * End-to-end latency (primary commit → follower commit), sampled from the watermark each
     * evaluation it moved. Quantiles over the last {@code window} samples; buckets and sum over all.
     */
    public record LatencySummary(long count, double sumSeconds, double p50, double p95, double p99, double max,
                                 double[] bucketBounds, long[] cumulativeBuckets) { }
}
