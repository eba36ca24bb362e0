package io.sluice.format;

import java.time.Instant;
import java.util.Objects;

/**
 * What every event carries: where it comes from and where it stands in the stream.
 *
 * @param source     the source id (see {@link SourceId})
 * @param commitLsn  the commit LSN of the event's transaction (for a heartbeat: the source position
 *                   it reports)
 * @param xid        the source transaction id; 0 for events outside a transaction (heartbeats,
 *                   non-transactional messages)
 * @param commitTime the transaction's commit time on the source, microsecond precision
 * @param seq        the event's position in its transaction: 0 for BEGIN, 1.. for the events
 *                   after it, and COMMIT last
 * @param epoch      the stream's epoch the event was captured in: 0 until a follower is first
 *                   promoted to primary, then one more at each promotion (FORMAT.md, "Epochs")
 */
public record EventHeader(String source, Lsn commitLsn, long xid, Instant commitTime, long seq, long epoch) {
    public EventHeader {
        SourceId.require(source);
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(commitTime, "commitTime");
        if (xid < 0) {
            throw new IllegalArgumentException("xid must not be negative, was " + xid);
        }
        if (seq < 0) {
            throw new IllegalArgumentException("seq must not be negative, was " + seq);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, was " + epoch);
        }
    }

    /** A header of epoch 0, the stream's first primary. */
    public EventHeader(String source, Lsn commitLsn, long xid, Instant commitTime, long seq) {
        this(source, commitLsn, xid, commitTime, seq, 0);
    }

    /** The same header at another position in the transaction. */
    public EventHeader withSeq(long newSeq) {
        return new EventHeader(source, commitLsn, xid, commitTime, newSeq, epoch);
    }

    /** The same header in another epoch. */
    public EventHeader withEpoch(long newEpoch) {
        return newEpoch == epoch ? this : new EventHeader(source, commitLsn, xid, commitTime, seq, newEpoch);
    }
}
