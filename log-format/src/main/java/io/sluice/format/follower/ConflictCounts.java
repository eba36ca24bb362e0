package io.sluice.format.follower;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The conflicts a leader's applier logged in {@code sluice.conflict} for one source, counted by
 * kind (FORMAT.md, "Follower bookkeeping"; docs/multi-leader.md). The log only grows, so counting
 * is incremental: each call adds what was logged since the last. Not thread-safe.
 */
public final class ConflictCounts {

    private static final String SINCE = "SELECT kind, count(*), max(id) FROM sluice.conflict WHERE source = ? AND id > ?"
            + " GROUP BY kind";

    private final String source;
    private final Map<String, Long> counts = new TreeMap<>();
    private long through;

    public ConflictCounts(String source) {
        this.source = source;
    }

    /** The counts so far, by kind, after adding what was logged since the last call; empty on a follower without a log. */
    public Map<String, Long> update(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SINCE)) {
            ps.setString(1, source);
            ps.setLong(2, through);
            try (ResultSet rs = ps.executeQuery()) {
                long last = through;
                while (rs.next()) {
                    counts.merge(rs.getString(1), rs.getLong(2), Long::sum);
                    last = Math.max(last, rs.getLong(3));
                }
                through = last;
            }
        } catch (SQLException e) {
            if (!Watermark.nothingYet(e)) {
                throw e;
            }
        }
        return Map.copyOf(counts);
    }
}
