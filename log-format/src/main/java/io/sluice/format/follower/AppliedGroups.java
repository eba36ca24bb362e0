package io.sluice.format.follower;

import io.sluice.format.ConsistencyToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * {@code sluice.applied_group} on a PostgreSQL follower: a row per group of source transactions
 * the applier committed (source, first and last commit LSN, the group's xids), written in the
 * group's own follower transaction and kept for a retention period (FORMAT.md, "Follower
 * bookkeeping"). It answers whether a read-your-writes token's transaction is applied when the
 * watermark alone cannot (commit LSNs are not in xid order).
 */
public final class AppliedGroups {

    private static final String INCLUDES = """
            SELECT EXISTS (SELECT 1 FROM sluice.applied_group
                           WHERE source = ? AND last_commit_lsn > ?::pg_lsn AND ? = ANY (xids))
                OR (NOT EXISTS (SELECT 1 FROM sluice.applied_group WHERE source = ? AND last_commit_lsn <= ?::pg_lsn)
                    AND EXISTS (SELECT 1 FROM sluice.applied_group WHERE source = ?))""";

    private AppliedGroups() {
    }

    /**
     * One query: a group after the token's position lists its xid; or the token is older than the
     * retention (groups are kept, none at or before its position) while groups exist — applied long ago.
     * The caller has checked that the watermark is past the token's bound.
     */
    public static boolean includes(Connection c, String source, ConsistencyToken t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INCLUDES)) {
            ps.setString(1, source);
            ps.setString(2, t.lsnBound().toString());
            ps.setLong(3, t.streamXid());
            ps.setString(4, source);
            ps.setString(5, t.lsnBound().toString());
            ps.setString(6, source);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
