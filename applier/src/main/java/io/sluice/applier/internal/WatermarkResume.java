package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.applier.StreamApplier.Applied;
import io.sluice.format.follower.Watermark;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts an applier where its follower's watermark says it is — at start, and after every failure it
 * recovers from: the epoch gate, the group assembler and the consumer's position all taken from
 * the watermark, the open group dropped with the connection, the follower reconnected with
 * backoff. Not thread-safe: the applier's stream thread (or its starting thread).
 */
public final class WatermarkResume {

    private static final Logger log = LoggerFactory.getLogger(WatermarkResume.class);

    private final ApplierConfig config;
    private final FollowerStore store;
    private final FollowerPipeline pipeline;
    private final EpochGate gate;
    private final GroupAssembler assembler;
    private final StoreFailures failures;
    private final AtomicReference<Applied> applied;

    /** {@code applied}: set to what the watermark says the follower committed. */
    public WatermarkResume(ApplierConfig config, FollowerStore store, FollowerPipeline pipeline, EpochGate gate,
                           GroupAssembler assembler, AtomicReference<Applied> applied) {
        this.config = config;
        this.store = store;
        this.pipeline = pipeline;
        this.gate = gate;
        this.assembler = assembler;
        this.applied = applied;
        this.failures = new StoreFailures(config.followerName(), store, pipeline, assembler);
    }

    /** Reads the watermark and seeks the consumer to the first stream record after it. */
    public void seek(StreamConsumer consumer) throws SQLException {
        Optional<Watermark> w = store.watermark();
        if (w.isPresent()) {
            Watermark m = w.get();
            if (config.followerName().equals(m.epochFollower())) {
                throw new ApplierException("follower " + config.followerName() + " was promoted to primary at epoch " + m.epoch()
                        + " of source " + config.sourceId() + ": it is a primary now and applies no stream (docs/failover.md;"
                        + " to make it a follower again, rebuild it from the new primary)", false, null);
            }
            gate.reset(m.epoch());
            applied.set(new Applied(m.commitLsn(), m.xid(), m.commitTime(), m.streamOffset(), m.appliedAt()));
            assembler.restart(m.commitLsn());
            // A watermark at offset -1 was set by a direct snapshot: read from the beginning, skip by commit LSN.
            consumer.seek(m.streamOffset() < 0 ? -1 : m.streamOffset() + 1);
        } else {
            gate.reset(0);
            applied.set(null);
            assembler.restart(null);
            consumer.seek(-1);
        }
    }

    /** The store refused or dropped something: apply again differently, retry, or stop. Returns the next backoff. */
    public long failed(SQLException e, long backoffMs, StreamConsumer consumer) {
        return recover(e, failures.resume(e) == StoreFailures.Resume.AT_ONCE ? 0 : backoffMs, consumer);
    }

    /** Rolls back, reconnects with backoff and resumes from the follower's watermark. Returns the next backoff. */
    public long recover(Exception cause, long backoffMs, StreamConsumer consumer) {
        log.warn("follower {}: retriable failure, resuming from the watermark in {} ms: {}", config.followerName(),
                backoffMs, cause.getMessage());
        pipeline.awaitIdle();
        pipeline.clearFailure();
        assembler.clear();
        store.disconnect();
        sleep(backoffMs);
        long next = Math.min(backoffMs * 2, config.retryBackoffMax().toMillis());
        try {
            store.checkLock();
            store.connect();
            seek(consumer);
        } catch (SQLException e) {
            if (store.classify(e) != FailureKind.RETRY) {
                throw failures.stop(e);
            }
            log.warn("follower {}: still unreachable: {}", config.followerName(), e.getMessage());
        }
        return next;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
