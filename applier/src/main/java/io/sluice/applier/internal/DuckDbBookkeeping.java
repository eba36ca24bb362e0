package io.sluice.applier.internal;

import io.sluice.format.follower.Watermark;
import io.sluice.format.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Optional;

/**
 * A DuckDB follower's bookkeeping in schema {@code sluice} of its file: {@code sluice.watermark}
 * (one row per source, times as epoch microseconds) and {@code sluice.skipped_transaction}; the
 * same meaning as a PostgreSQL follower's ({@link Bookkeeping}, FORMAT.md, "The watermark"). Stateless.
 */
final class DuckDbBookkeeping {

    private static final String SCHEMA = """
            CREATE SCHEMA IF NOT EXISTS sluice;
            CREATE TABLE IF NOT EXISTS sluice.watermark (source VARCHAR PRIMARY KEY, commit_lsn VARCHAR NOT NULL, xid BIGINT NOT NULL,
              commit_time_us BIGINT NOT NULL, stream_offset BIGINT NOT NULL, applied_at_us BIGINT NOT NULL,
              transactions BIGINT NOT NULL, epoch BIGINT NOT NULL DEFAULT 0, epoch_follower VARCHAR, fork_lsn VARCHAR);
            CREATE TABLE IF NOT EXISTS sluice.skipped_transaction (source VARCHAR NOT NULL, commit_lsn VARCHAR NOT NULL,
              xid BIGINT NOT NULL, reason VARCHAR NOT NULL, skipped_at_us BIGINT NOT NULL)""";

    private DuckDbBookkeeping() {
    }

    static void create(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(SCHEMA);
        }
    }

    static Optional<Watermark> read(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT commit_lsn, xid, commit_time_us, stream_offset,"
                + " applied_at_us, transactions, epoch, epoch_follower, fork_lsn FROM sluice.watermark WHERE source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Watermark(Lsn.parse(rs.getString(1)), rs.getLong(2), instant(rs.getLong(3)), rs.getLong(4),
                        instant(rs.getLong(5)), rs.getLong(6), rs.getLong(7), rs.getString(8),
                        rs.getString(9) == null ? null : Lsn.parse(rs.getString(9))));
            }
        }
    }

    /** Moves the watermark from exactly {@code from} (none: inserts it) to {@code to}; false when it was not there. */
    static boolean advance(Connection c, String source, Watermark from, Watermark to) throws SQLException {
        String sql = from == null
                ? "INSERT INTO sluice.watermark (commit_lsn, xid, commit_time_us, stream_offset, applied_at_us, transactions, epoch,"
                + " epoch_follower, fork_lsn, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                : "UPDATE sluice.watermark SET commit_lsn = ?, xid = ?, commit_time_us = ?, stream_offset = ?,"
                + " applied_at_us = ?, transactions = ?, epoch = ?, epoch_follower = ?, fork_lsn = ?"
                + " WHERE source = ? AND commit_lsn = ? AND stream_offset = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, to.commitLsn().toString());
            ps.setLong(2, to.xid());
            ps.setLong(3, micros(to.commitTime()));
            ps.setLong(4, to.streamOffset());
            ps.setLong(5, micros(to.appliedAt()));
            ps.setLong(6, to.transactions());
            ps.setLong(7, to.epoch());
            ps.setString(8, to.epochFollower());
            ps.setString(9, to.forkLsn() == null ? null : to.forkLsn().toString());
            ps.setString(10, source);
            if (from != null) {
                ps.setString(11, from.commitLsn().toString());
                ps.setLong(12, from.streamOffset());
            }
            return ps.executeUpdate() == 1;
        }
    }

    static void recordSkip(Connection c, String source, Lsn commitLsn, long xid, String reason, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sluice.skipped_transaction VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, source);
            ps.setString(2, commitLsn.toString());
            ps.setLong(3, xid);
            ps.setString(4, reason);
            ps.setLong(5, micros(at));
            ps.executeUpdate();
        }
    }

    private static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static Instant instant(long epochMicros) {
        return Instant.EPOCH.plusNanos(Math.multiplyExact(epochMicros, 1000L));
    }
}
