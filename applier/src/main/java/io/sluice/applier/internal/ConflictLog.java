package io.sluice.applier.internal;

import io.sluice.applier.ConflictResolver;
import io.sluice.format.ChangeEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;
import java.util.Map;

/**
 * {@code sluice.conflict} on a leader: every conflict the applier resolved, written in the same
 * follower transaction as the resolution — both versions (PostgreSQL text), who committed each
 * when, the resolver and the outcome, and whether the application still has to settle it.
 */
final class ConflictLog {

    private static final String INSERT = """
            INSERT INTO sluice.conflict (source, schema_name, table_name, kind, key, local_row, local_origin,
              local_commit_time, remote_row, remote_origin, remote_commit_time, remote_commit_lsn, resolution, outcome, settled)
            VALUES (?, ?, ?, ?, ?, (SELECT jsonb_object_agg(n, v) FROM unnest(?::text[], ?::text[]) AS x(n, v)), ?, ?,
              (SELECT jsonb_object_agg(n, v) FROM unnest(?::text[], ?::text[]) AS x(n, v)), ?, ?, ?::pg_lsn, ?, ?, ?)""";

    private final Connection connection;
    private final LeaderRows rows;

    ConflictLog(Connection connection, LeaderRows rows) {
        this.connection = connection;
        this.rows = rows;
    }

    void record(ChangeEvent e, ConflictResolver resolver, ConflictResolver.Conflict c, ConflictResolver.Decision d)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
            int i = 1;
            ps.setString(i++, c.remoteOrigin());
            ps.setString(i++, c.table().schema());
            ps.setString(i++, c.table().table());
            ps.setString(i++, c.kind());
            ps.setArray(i++, rows.texts(c.key()));
            i = row(ps, i, c.local());
            ps.setString(i++, c.localOrigin());
            if (c.localCommitTime() == null) {
                ps.setNull(i++, Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                ps.setTimestamp(i++, Timestamp.from(c.localCommitTime()));
            }
            i = row(ps, i, c.remote());
            ps.setString(i++, c.remoteOrigin());
            ps.setTimestamp(i++, Timestamp.from(c.remoteCommitTime()));
            ps.setString(i++, e.header().commitLsn().toString());
            ps.setString(i++, resolver.name());
            ps.setString(i++, switch (d.outcome()) {
                case KEEP_LOCAL -> "kept_local";
                case APPLY_REMOTE -> "applied_remote";
                case MERGE -> "merged";
            });
            if (d.unsettled()) {
                ps.setBoolean(i, false);
            } else {
                ps.setNull(i, Types.BOOLEAN);
            }
            ps.executeUpdate();
        }
    }

    /** A row as two text arrays (names, values) the statement zips into jsonb; none as NULL. */
    private int row(PreparedStatement ps, int i, Map<String, String> row) throws SQLException {
        if (row.isEmpty()) {
            ps.setNull(i, Types.ARRAY);
            ps.setNull(i + 1, Types.ARRAY);
        } else {
            List<String> names = List.copyOf(row.keySet());
            ps.setArray(i, rows.texts(names));
            ps.setArray(i + 1, rows.texts(names.stream().map(row::get).toList()));
        }
        return i + 2;
    }
}
