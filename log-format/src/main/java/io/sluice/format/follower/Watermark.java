package io.sluice.format.follower;

import io.sluice.format.AppliedOffset;
import io.sluice.format.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * A follower's watermark: the last source transaction it committed, kept in the same follower
 * transaction as that transaction's rows, so it is exactly what the follower holds (FORMAT.md,
 * "Follower bookkeeping"). A PostgreSQL or DuckDB follower keeps it as a row of
 * {@code sluice.watermark} per source; a follower whose applier commits to Kafka keeps it as the
 * metadata of its applier group's stream offset ({@link AppliedOffset}). Both read into this one
 * record; the applier, the monitor, the client, the verifier and the benchmarks read it here.
 *
 * @param commitLsn     the last applied source transaction's commit LSN
 * @param xid           its xid
 * @param commitTime    its commit time on the primary
 * @param streamOffset  its frame's offset on the stream (-1 after a direct snapshot, before any frame)
 * @param appliedAt     when the follower committed it
 * @param transactions  source transactions applied so far
 * @param epoch         the epoch {@code commitLsn} belongs to (FORMAT.md, "Epochs")
 * @param epochFollower the follower promoted at the start of that epoch; null in epoch 0
 * @param forkLsn       the last commit of the previous epoch before its marker; null in epoch 0
 */
public record Watermark(Lsn commitLsn, long xid, Instant commitTime, long streamOffset, Instant appliedAt,
                        long transactions, long epoch, String epochFollower, Lsn forkLsn) {

    /** The bookkeeping schema every follower database holds. */
    public static final String SCHEMA = "sluice";

    private static final String QUERY = "SELECT commit_lsn::text, xid, commit_time, stream_offset, applied_at,"
            + " transactions, epoch, epoch_follower, fork_lsn::text FROM sluice.watermark WHERE source = ?";

    /**
     * The watermark of {@code source} on a PostgreSQL follower, or empty when the follower has
     * applied nothing of it yet (no row; or, on a connection in autocommit, no bookkeeping schema
     * yet — inside a transaction the missing table is an error, which PostgreSQL's aborted
     * transaction would otherwise hide behind the caller's next statement).
     */
    public static Optional<Watermark> read(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(QUERY)) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Watermark(Lsn.parse(rs.getString(1)), rs.getLong(2), rs.getTimestamp(3).toInstant(),
                        rs.getLong(4), rs.getTimestamp(5).toInstant(), rs.getLong(6), rs.getLong(7), rs.getString(8),
                        rs.getString(9) == null ? null : Lsn.parse(rs.getString(9))));
            }
        } catch (SQLException e) {
            if (nothingYet(e) && c.getAutoCommit()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Whether a failed read of the bookkeeping only means the applier has not created it yet. */
    public static boolean nothingYet(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState());
    }

    /**
     * The watermark an applier group's committed offset carries: {@code committedOffset} is the
     * next offset to read, so the last applied frame is the one before it.
     */
    public static Watermark fromOffset(AppliedOffset a, long committedOffset) {
        return new Watermark(a.commitLsn(), a.xid(), a.commitTime(), committedOffset - 1, a.appliedAt(), a.transactions(),
                a.epoch(), a.epochFollower(), a.forkLsn());
    }
}
