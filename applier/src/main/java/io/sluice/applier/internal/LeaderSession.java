package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The applier's session on a follower that is a leader itself (docs/multi-leader.md). It writes
 * under a replication origin named for the stream's source ({@code sluice_<source>}), so that the
 * leader's own capture, reading with {@code capture.origin = local}, never sends these changes
 * back; and each follower transaction (one source transaction) is stamped with the source's commit
 * LSN and time ({@code pg_replication_origin_xact_setup}), so that the rows it writes carry the
 * time and origin of the write they replay ({@code pg_xact_commit_timestamp_origin}) — what
 * last-writer-wins compares. It also keeps deletes made on the leader itself as tombstones
 * ({@code sluice.keep_tombstone}, an AFTER DELETE trigger on each table it applies to).
 */
final class LeaderSession {

    private final ApplierConfig config;
    private final Set<TableId> guarded = new HashSet<>();
    private final Map<Long, String> origins = new HashMap<>();
    private Connection connection;

    LeaderSession(ApplierConfig config) {
        this.config = config;
    }

    /** The replication origin this applier writes under. */
    String originName() {
        return "sluice_" + config.sourceId();
    }

    /**
     * Sets up a new session: commit timestamps must be tracked, the origin exists and is this
     * session's (PostgreSQL refuses a second session on it: another applier of this source is
     * writing here). Commits.
     */
    void open(Connection c) throws SQLException {
        connection = c;
        guarded.clear();
        origins.clear();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW track_commit_timestamp")) {
            rs.next();
            if (!"on".equals(rs.getString(1))) {
                throw new ApplierException("follower " + config.followerName() + " is a leader (conflicts = "
                        + config.conflicts().name() + ") but has track_commit_timestamp = " + rs.getString(1)
                        + ": last writer wins compares commit times; set track_commit_timestamp = on and restart it", false, null);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_replication_origin_create(?) WHERE NOT EXISTS"
                + " (SELECT 1 FROM pg_replication_origin WHERE roname = ?)")) {
            ps.setString(1, originName());
            ps.setString(2, originName());
            ps.execute();
        }
        c.commit();
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_replication_origin_session_setup(?)")) {
            ps.setString(1, originName());
            ps.execute();
        }
        c.commit();
        refuseCollidingKeys();
        guardAll();
        c.commit();
    }

    /**
     * Two leaders that hand out keys from sequences counting by one hand out the same keys: each new
     * row would meet the other leader's (docs/multi-leader.md, "Keys and sequences"). A sequence
     * behind a primary key must count in steps, each leader from its own start.
     */
    private void refuseCollidingKeys() throws SQLException {
        List<String> colliding = new java.util.ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT format('%I.%I.%I', n.nspname, c.relname, a.attname), d.objid::regclass::text
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
                JOIN pg_depend d ON d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass
                  AND d.deptype IN ('a', 'i')
                JOIN pg_sequence s ON s.seqrelid = d.objid
                WHERE i.indisprimary AND abs(s.seqincrement) = 1
                  AND n.nspname NOT IN ('sluice', 'pg_catalog', 'information_schema')
                ORDER BY 1""")) {
            while (rs.next()) {
                colliding.add(rs.getString(1) + " (sequence " + rs.getString(2) + ")");
            }
        }
        if (!colliding.isEmpty()) {
            throw new ApplierException("follower " + config.followerName() + " is a leader, and its primary keys " + colliding
                    + " come from sequences counting by 1: the other leader hands out the same keys. Give each leader its own:"
                    + " ALTER SEQUENCE … INCREMENT BY <leaders> RESTART WITH <a different start on each>, or UUID keys"
                    + " (docs/multi-leader.md, \"Keys and sequences\")", false, null);
        }
    }

    /** Stamps the open follower transaction with the source transaction it replays. */
    void stamp(Lsn commitLsn, Instant commitTime) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_replication_origin_xact_setup(?::pg_lsn, ?)")) {
            ps.setString(1, commitLsn.toString());
            ps.setTimestamp(2, Timestamp.from(commitTime));
            ps.execute();
        }
    }

    /** The writer a row version's origin id names: this leader itself for 0, else the source of a Sluice origin. */
    String writer(long roident) throws SQLException {
        if (roident == 0) {
            return config.followerName();
        }
        String name = origins.get(roident);
        if (name == null) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT roname FROM pg_replication_origin WHERE roident = ?")) {
                ps.setLong(1, roident);
                try (ResultSet rs = ps.executeQuery()) {
                    name = rs.next() ? rs.getString(1) : "origin " + roident;
                }
            }
            name = name.startsWith("sluice_") ? name.substring("sluice_".length()) : name;
            origins.put(roident, name);
        }
        return name;
    }

    /** Keeps this leader's own deletes of {@code table}'s rows as tombstones, from now on. */
    void guard(TableId table, List<String> key) throws SQLException {
        if (key.isEmpty() || !guarded.add(table)) {
            return;
        }
        String args = key.stream().map(k -> "'" + k.replace("'", "''") + "'").collect(Collectors.joining(", "));
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE OR REPLACE TRIGGER sluice_tombstone AFTER DELETE ON " + table.quoted()
                    + " FOR EACH ROW EXECUTE FUNCTION sluice.keep_tombstone(" + args + ")");
        }
    }

    /** Every table with a primary key, outside PostgreSQL's and Sluice's schemas: guarded before anything is applied. */
    private void guardAll() throws SQLException {
        Map<TableId, List<String>> keys = new HashMap<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT n.nspname, c.relname, array_agg(a.attname ORDER BY k.ord)
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                WHERE i.indisprimary AND c.relkind = 'r'
                  AND n.nspname NOT IN ('sluice', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                GROUP BY n.nspname, c.relname""")) {
            while (rs.next()) {
                keys.put(new TableId(rs.getString(1), rs.getString(2)), List.of((String[]) rs.getArray(3).getArray()));
            }
        }
        for (Map.Entry<TableId, List<String>> e : keys.entrySet()) {
            guard(e.getKey(), e.getValue());
        }
    }
}
