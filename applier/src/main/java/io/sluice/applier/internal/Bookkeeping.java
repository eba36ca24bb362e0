package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import io.sluice.format.follower.AppliedNotice;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;

/**
 * The applier's bookkeeping on the follower, in schema {@code sluice}, created and migrated by
 * Flyway: the watermark (last source transaction applied) and operator-skipped transactions.
 */
public final class Bookkeeping {

    public static final String SCHEMA = Watermark.SCHEMA;

    /** The highest migration under {@code db/migration/sluice}; {@code BookkeepingTest} holds it to the files. */
    static final int LATEST_MIGRATION = 6;

    /** The SQLSTATE the move raises when the watermark is not where this applier last saw it (migration V6). */
    static final String MOVED_ELSEWHERE = "SLW01";

    // One statement, so a group's bookkeeping costs the follower one round trip: the move, the
    // group's row only if the watermark moved, and the notification only then — or, when it did not
    // move, an error, so that a COMMIT sent with it never runs.
    private static final String FIRST_MOVE = moveThen("""
            INSERT INTO sluice.watermark (source, commit_lsn, xid, commit_time, stream_offset, applied_at, transactions)
            VALUES (?, ?::pg_lsn, ?, ?, ?, clock_timestamp(), ?) ON CONFLICT (source) DO NOTHING RETURNING source""");
    private static final String MOVE = moveThen("""
            UPDATE sluice.watermark SET commit_lsn = ?::pg_lsn, xid = ?, commit_time = ?, stream_offset = ?,
              applied_at = clock_timestamp(), transactions = transactions + ?
            WHERE source = ? AND commit_lsn = ?::pg_lsn AND stream_offset = ? RETURNING source""");

    private Bookkeeping() {
    }

    /**
     * Brings the follower's bookkeeping to this applier's version. A follower that already holds
     * every migration, each applied, is left alone after a look at Flyway's history: Flyway, which
     * scans the class path and parses every script, would do nothing there, on the path of every
     * restart to its first poll (docs/benchmarks.md). Otherwise Flyway migrates, and reports what
     * is wrong (a failed migration, say).
     */
    public static void migrate(String url, Properties props) {
        try (Connection c = new JdbcDataSource(url, props).getConnection()) {
            if (current(c)) {
                return;
            }
        } catch (SQLException e) {
            // Flyway connects again below and reports what is wrong with the follower.
        }
        flyway(url, props);
    }

    private static void flyway(String url, Properties props) {
        Flyway.configure()
                .dataSource(new JdbcDataSource(url, props))
                .schemas(SCHEMA)
                .createSchemas(true)
                // A follower that is a primary too (a leader, a promoted follower) may already hold
                // capture's DDL-capture objects in schema sluice: start the history below V1.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations("classpath:db/migration/sluice")
                .table("flyway_schema_history")
                .load()
                .migrate();
    }

    /** Whether Flyway's history on the follower reaches {@link #LATEST_MIGRATION}, with no migration that failed. */
    static boolean current(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + SCHEMA + ".flyway_schema_history') IS NOT NULL")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return false;
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT coalesce(bool_and(success), false), max(version::int) FROM "
                    + SCHEMA + ".flyway_schema_history WHERE version ~ '^[0-9]+$'")) {
                // Past the latest: a newer applier's migrations, which Flyway would ignore as "future" ones.
                return rs.next() && rs.getBoolean(1) && rs.getInt(2) >= LATEST_MIGRATION;
            }
        }
    }

    /**
     * Records, in the transaction that moved the watermark to a promotion marker, the epoch it
     * starts, the follower promoted and where the previous epoch's history ended.
     */
    public static void enterEpoch(Connection c, String source, EpochMarker marker, Lsn fork) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sluice.watermark SET epoch = ?, epoch_follower = ?,"
                + " epoch_primary_system_id = ?, fork_lsn = ?::pg_lsn WHERE source = ?")) {
            ps.setLong(1, marker.epoch());
            ps.setString(2, marker.follower());
            ps.setString(3, marker.primarySystemId());
            ps.setString(4, fork == null ? null : fork.toString());
            ps.setString(5, source);
            if (ps.executeUpdate() != 1) {
                throw new ApplierException("no watermark of source " + source + " to move into epoch " + marker.epoch(), false, null);
            }
        }
    }

    /** Keeps the latest sequence state of the source, in the transaction of the rows it came after. */
    public static void keepSequences(Connection c, String source, byte[] state, long offset) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sluice.sequence_state (source, state, stream_offset)"
                + " VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET state = excluded.state,"
                + " stream_offset = excluded.stream_offset, kept_at = clock_timestamp()")) {
            ps.setString(1, source);
            ps.setBytes(2, state);
            ps.setLong(3, offset);
            ps.executeUpdate();
        }
    }

    /** Where a watermark stands: the last applied commit LSN and its stream offset. */
    public record Position(Lsn commitLsn, long streamOffset) {
        @Override
        public String toString() {
            return commitLsn + " (stream offset " + streamOffset + ")";
        }
    }

    private static String moveThen(String move) {
        return "WITH moved AS (" + move + "), grouped AS (INSERT INTO sluice.applied_group (source, last_commit_lsn,"
                + " first_commit_lsn, xids) SELECT source, ?::pg_lsn, ?::pg_lsn, ? FROM moved ON CONFLICT DO NOTHING)"
                + " SELECT CASE WHEN n = 1 THEN pg_notify('" + AppliedNotice.CHANNEL + "', ?)"
                + " ELSE sluice.watermark_moved_elsewhere() END FROM (SELECT count(*) AS n FROM moved) m";
    }

    /**
     * Moves the watermark inside the current transaction, records which source transactions the
     * group applied ({@code sluice.applied_group}), and notifies listeners at its commit.
     *
     * <p>The move is a compare-and-set: it happens only if the watermark still stands where this
     * applier last saw it ({@code expected}, null when there was none), so an applier that lost
     * its lock unnoticed cannot commit over another's work. Otherwise it throws, not retriable,
     * naming both positions; the caller rolls back.
     *
     * <p>The notification is an {@link AppliedNotice}, the group's row one of {@link io.sluice.format.follower.AppliedGroups}.
     */
    public static void advance(Connection c, String source, Position expected, Lsn lsn, long xid, Instant commitTime,
                               long offset, long transactions, Lsn firstLsn, long[] xids, int xidCount) throws SQLException {
        move(c, null, false, source, expected, lsn, xid, commitTime, offset, transactions, firstLsn, xids, xidCount);
    }

    /**
     * A group's last row statement, sent ahead of the watermark's move and the COMMIT in their
     * round trip ({@link RowWriter#takeSingleInsert}): {@code bind} binds its parameters from 1 on
     * and returns the next; {@code row} describes the row should the follower refuse it.
     */
    public record Leading(String sql, Binder bind, Supplier<String> row) {
        /** Binds a statement's parameters. */
        public interface Binder {
            int bind(PreparedStatement ps) throws SQLException;
        }
    }

    /**
     * {@link #advance}, and the follower transaction's COMMIT sent with it — after {@code leading},
     * the group's last row statement, if not null: one round trip where they would take two or
     * three. The connection is outside a transaction afterwards, unless a statement failed.
     */
    public static void advanceAndCommit(Connection c, Leading leading, String source, Position expected, Lsn lsn, long xid,
                                        Instant commitTime, long offset, long transactions, Lsn firstLsn, long[] xids,
                                        int xidCount) throws SQLException {
        move(c, leading, true, source, expected, lsn, xid, commitTime, offset, transactions, firstLsn, xids, xidCount);
    }

    private static void move(Connection c, Leading leading, boolean commit, String source, Position expected, Lsn lsn,
                             long xid, Instant commitTime, long offset, long transactions, Lsn firstLsn, long[] xids,
                             int xidCount) throws SQLException {
        String sql = (leading == null ? "" : leading.sql() + "; ") + (expected == null ? FIRST_MOVE : MOVE)
                + (commit ? "; COMMIT" : "");
        Long[] boxed = boxed(xids, xidCount);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = leading == null ? 1 : leading.bind().bind(ps);
            if (expected == null) {
                ps.setString(i++, source);
            }
            ps.setString(i++, lsn.toString());
            ps.setLong(i++, xid);
            ps.setTimestamp(i++, Timestamp.from(commitTime));
            ps.setLong(i++, offset);
            ps.setLong(i++, transactions);
            if (expected != null) {
                ps.setString(i++, source);
                ps.setString(i++, expected.commitLsn().toString());
                ps.setLong(i++, expected.streamOffset());
            }
            ps.setString(i++, lsn.toString());
            ps.setString(i++, firstLsn.toString());
            ps.setArray(i++, c.createArrayOf("bigint", boxed));
            ps.setString(i, AppliedNotice.encode(source, lsn, xid, xids, xidCount));
            ps.execute();
        } catch (SQLException e) {
            if (!MOVED_ELSEWHERE.equals(e.getSQLState())) {
                throw leading == null ? e : RowWriter.RowException.naming(leading.row(), e);
            }
            c.rollback();
            Optional<Watermark> now = Watermark.read(c, source);
            c.rollback();
            throw new ApplierException("the watermark of source " + source + " is no longer where this applier last saw it ("
                    + (expected == null ? "none" : expected) + "): it is now at "
                    + now.map(w -> new Position(w.commitLsn(), w.streamOffset()) + ", applied at " + w.appliedAt()).orElse("none")
                    + ". Another applier is applying this source to this follower; this applier's follower transaction"
                    + " (source transactions up to " + lsn + ") is rolled back and it stops", false, e);
        }
    }

    /**
     * The group's xids as pgjdbc's array binding takes them. A loop of its own: in {@link #advance}
     * its thousands of iterations per group would have the JIT compile that whole method — with
     * the driver calls it inlines, a very large compilation — instead of this small one.
     */
    private static Long[] boxed(long[] xids, int count) {
        Long[] boxed = new Long[count];
        for (int i = 0; i < count; i++) {
            boxed[i] = xids[i];
        }
        return boxed;
    }

    /** Drops applied-group rows of the source applied longer ago than {@code retention} (once, at start). */
    public static int pruneOlderThan(Connection c, String source, java.time.Duration retention) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM sluice.applied_group WHERE source = ?"
                + " AND applied_at < clock_timestamp() - make_interval(secs => ?)")) {
            ps.setString(1, source);
            ps.setDouble(2, retention.toSeconds());
            return ps.executeUpdate();
        }
    }

    /** Drops applied-group rows of the source below {@code lsn} (older than the retention). */
    public static int prune(Connection c, String source, Lsn below) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM sluice.applied_group WHERE source = ? AND last_commit_lsn < ?::pg_lsn")) {
            ps.setString(1, source);
            ps.setString(2, below.toString());
            return ps.executeUpdate();
        }
    }

    public static void recordSkip(Connection c, String source, Lsn lsn, long xid, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sluice.skipped_transaction (source, commit_lsn, xid, reason)"
                + " VALUES (?, ?::pg_lsn, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, source);
            ps.setString(2, lsn.toString());
            ps.setLong(3, xid);
            ps.setString(4, reason);
            ps.executeUpdate();
        }
    }
}
