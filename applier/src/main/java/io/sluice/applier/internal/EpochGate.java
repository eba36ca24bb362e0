package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.FormatException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which records belong to the stream's history, by epoch (FORMAT.md, "Epochs"): a record of an
 * older epoch than the applier's comes from a capture of a replaced primary that still writes, and
 * is refused — never applied, and said in the log (the first at once, then at most every ten
 * seconds with how many); an event of a newer epoch is that epoch's promotion marker, or the
 * stream is not one history and the applier stops. Used by the stream thread only.
 */
public final class EpochGate {

    private static final Logger log = LoggerFactory.getLogger(EpochGate.class);
    private static final Duration REPORT_EVERY = Duration.ofSeconds(10);

    private final String follower;
    private final String topic;
    private final Clock clock;
    private long epoch;
    private long refused;
    private long unreported;
    private Instant reported;

    public EpochGate(String follower, String topic, Clock clock) {
        this.follower = follower;
        this.topic = topic;
        this.clock = clock;
    }

    /** The epoch the applier is in: its watermark's, or the last marker's it passed. */
    public long epoch() {
        return epoch;
    }

    /** Records refused so far. */
    public long refused() {
        return refused;
    }

    /** Starts again from the epoch of the follower's watermark (after a seek). */
    public void reset(long watermarkEpoch) {
        epoch = watermarkEpoch;
    }

    /** Whether the record at {@code offset}, holding {@code run}, is of an older epoch: then it is refused. */
    public boolean refuses(List<ChangeEvent> run, long offset) {
        ChangeEvent first = run.get(0);
        long e = first.header().epoch();
        if (e >= epoch) {
            return false;
        }
        refused++;
        unreported++;
        Instant now = clock.instant();
        boolean frameStart = first instanceof ChangeEvent.Begin;
        if (reported == null || frameStart && !now.isBefore(reported.plus(REPORT_EVERY))) {
            log.warn("follower {}: REFUSED {} record(s) of epoch {} (the latest a {} of xid {} at {}, {}-0@{}): the stream is"
                    + " at epoch {}, whose primary replaced the one that wrote them. A capture of the replaced primary is"
                    + " still writing to the stream: stop it (docs/failover.md). {} refused in all",
                    follower, unreported, e, first.kind(), first.header().xid(), first.header().commitLsn(), topic, offset,
                    epoch, refused);
            reported = now;
            unreported = 0;
        }
        return true;
    }

    /**
     * The promotion marker {@code e} is, when it is of a newer epoch than the applier's; empty for
     * an event of the applier's epoch.
     *
     * @throws ApplierException for any other event of a newer epoch, or a marker that cannot be read
     */
    public Optional<EpochMarker> marker(ChangeEvent e, long offset) {
        long of = e.header().epoch();
        if (of <= epoch) {
            return Optional.empty();
        }
        String at = topic + "-0@" + offset;
        if (e instanceof ChangeEvent.Message m && EpochMarker.is(m)) {
            EpochMarker marker;
            try {
                marker = EpochMarker.parse(m.content());
            } catch (FormatException ex) {
                throw new ApplierException("bad epoch marker at " + at + ": " + ex.getMessage()
                        + "; the follower stays at its last good watermark", false, ex);
            }
            if (marker.epoch() != of) {
                throw new ApplierException("the epoch marker at " + at + " says epoch " + marker.epoch() + " in an event of epoch "
                        + of + "; the follower stays at its last good watermark", false, null);
            }
            return Optional.of(marker);
        }
        throw new ApplierException("a " + e.kind() + " of epoch " + of + " at " + at + " before that epoch's promotion marker"
                + " (this follower is at epoch " + epoch + "): the stream does not hold one history; the follower stays at its"
                + " last good watermark", false, null);
    }

    /** Passes into the marker's epoch. */
    public void enter(EpochMarker marker, long offset) {
        log.info("follower {}: epoch {} from {}-0@{}: follower {} was promoted to primary at {}", follower, marker.epoch(),
                topic, offset, marker.follower(), marker.promotedAt());
        epoch = marker.epoch();
    }
}
