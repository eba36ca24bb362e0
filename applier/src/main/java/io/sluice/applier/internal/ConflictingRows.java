package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Row changes applied onto a leader (docs/multi-leader.md): before each change the row it meets
 * is read and locked with the commit time and origin of its last writer; a change that meets a
 * row another writer changed — or misses the row it expects — is a conflict, resolved by last
 * writer wins (the later commit time, then the greater origin name, so that every leader decides
 * alike) and written to {@code sluice.conflict} with both versions and the outcome. A delete
 * leaves a tombstone, so that an insert or update from another leader can tell whether the key was
 * deleted here before or after it.
 */
final class ConflictingRows {

    /** PostgreSQL 18's names for the kinds of conflict. */
    static final String INSERT_EXISTS = "insert_exists";
    /** Sluice's own (PostgreSQL has no name for it): the key was deleted here by a commit later than the insert. */
    static final String INSERT_DELETED = "insert_deleted";
    static final String UPDATE_ORIGIN_DIFFERS = "update_origin_differs";
    static final String UPDATE_MISSING = "update_missing";
    static final String DELETE_ORIGIN_DIFFERS = "delete_origin_differs";
    static final String DELETE_MISSING = "delete_missing";

    private final ApplierConfig config;
    private final Connection connection;
    private final RowWriter writer;
    private final LeaderSession leader;

    /** What the change met: a row with its last writer, or (no row) the last delete of its key, if any. */
    private record Met(boolean exists, String row, Instant commitTime, String origin) {
        static final Met NOTHING = new Met(false, null, null, null);
    }

    ConflictingRows(ApplierConfig config, Connection connection, RowWriter writer, LeaderSession leader) {
        this.config = config;
        this.connection = connection;
        this.writer = writer;
        this.leader = leader;
    }

    void insert(ChangeEvent.Insert e) throws SQLException {
        requireKey(e, e.table(), e.key());
        leader.guard(e.table(), e.key());
        List<String> key = keyText(e, e.key(), e.after());
        Met local = row(e.table(), e.key(), key);
        while (!local.exists()) {
            Met deleted = tombstone(e.table(), key);
            if (deleted.commitTime() != null && !remoteWins(e, deleted)) {
                log(e, e.table(), INSERT_DELETED, key, deleted, e.after(), false); // deleted here after this insert
                return;
            }
            if (insertIfAbsent(e)) {
                return;
            }
            local = row(e.table(), e.key(), key); // a writer on this leader inserted the key meanwhile: decide against it
        }
        boolean remoteWins = remoteWins(e, local);
        if (remoteWins) {
            deleteRow(e.table(), e.key(), key);
            writer.insert(e);
            writer.flush();
        }
        log(e, e.table(), INSERT_EXISTS, key, local, e.after(), remoteWins);
    }

    void update(ChangeEvent.Update e) throws SQLException {
        requireKey(e, e.table(), e.key());
        leader.guard(e.table(), e.key());
        List<String> key = keyText(e, e.key(), e.identity());
        Met local = row(e.table(), e.key(), key);
        if (local.exists()) {
            if (config.sourceId().equals(local.origin())) {
                writer.update(e); // this source wrote the row last: the stream's order is the truth
                writer.flush();
                return;
            }
            boolean remoteWins = remoteWins(e, local);
            if (remoteWins) {
                writer.update(e);
                writer.flush();
            }
            log(e, e.table(), UPDATE_ORIGIN_DIFFERS, key, local, e.after(), remoteWins);
            return;
        }
        Met deleted = tombstone(e.table(), key);
        boolean complete = e.after().values().stream().noneMatch(v -> v instanceof Value.Unchanged);
        // Missing: deleted here after this update (the delete wins), or before it (the update
        // brings the row back, when it carries every column), or never here at all.
        boolean remoteWins = deleted.commitTime() != null && remoteWins(e, deleted) && complete;
        if (remoteWins && !insertIfAbsent(new ChangeEvent.Insert(e.header(), e.table(), e.key(), e.after()))) {
            update(e); // a writer on this leader inserted the key meanwhile: decide against its row
            return;
        }
        log(e, e.table(), UPDATE_MISSING, key, deleted, e.after(), remoteWins);
    }

    void delete(ChangeEvent.Delete e) throws SQLException {
        requireKey(e, e.table(), e.key());
        leader.guard(e.table(), e.key());
        List<String> key = keyText(e, e.key(), e.before());
        Met local = row(e.table(), e.key(), key);
        if (local.exists() && config.sourceId().equals(local.origin())) {
            deleteRow(e.table(), e.key(), key);
            keepTombstone(e, key);
            return;
        }
        boolean remoteWins = !local.exists() || remoteWins(e, local);
        if (remoteWins) {
            if (local.exists()) {
                deleteRow(e.table(), e.key(), key);
            }
            keepTombstone(e, key);
        }
        log(e, e.table(), local.exists() ? DELETE_ORIGIN_DIFFERS : DELETE_MISSING, key, local, e.before(), remoteWins);
    }

    /**
     * Inserts the row unless its key exists by now: a writer on this leader may insert the key
     * between the lookup (which locks nothing when there is no row) and this insert. Whether it did.
     */
    private boolean insertIfAbsent(ChangeEvent.Insert e) throws SQLException {
        writer.flush();
        List<String> cols = List.copyOf(e.after().keySet());
        String sql = "INSERT INTO " + e.table().quoted() + " (" + cols.stream().map(TableId::quote).collect(Collectors.joining(", "))
                + ") VALUES (" + cols.stream().map(c -> "?").collect(Collectors.joining(", ")) + ") ON CONFLICT ("
                + e.key().stream().map(TableId::quote).collect(Collectors.joining(", ")) + ") DO NOTHING";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int i = 1;
            for (String c : cols) {
                String text = RowText.of(e.after().get(c), e, c);
                if (text == null) {
                    ps.setNull(i++, Types.VARCHAR);
                } else {
                    ps.setString(i++, text);
                }
            }
            return ps.executeUpdate() == 1;
        }
    }

    /** Whether the change's commit is later than what it met: by commit time, then by origin name. */
    private boolean remoteWins(ChangeEvent e, Met local) {
        if (local.commitTime() == null) {
            return true; // frozen or from before commit timestamps were tracked: older than any write that has one
        }
        int byTime = e.header().commitTime().compareTo(local.commitTime());
        return byTime != 0 ? byTime > 0 : config.sourceId().compareTo(local.origin()) > 0;
    }

    private Met row(TableId table, List<String> keyColumns, List<String> key) throws SQLException {
        String sql = "SELECT (SELECT jsonb_object_agg(j.key, j.value) FROM json_each_text(to_json(t.*)) j)::text,"
                + " (pg_xact_commit_timestamp_origin(t.xmin)).timestamp, (pg_xact_commit_timestamp_origin(t.xmin)).roident"
                + " FROM " + table.quoted() + " t WHERE " + where(keyColumns) + " FOR UPDATE";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindKey(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Met.NOTHING;
                }
                Timestamp ts = rs.getTimestamp(2);
                return new Met(true, rs.getString(1), ts == null ? null : ts.toInstant(), leader.writer(rs.getLong(3)));
            }
        }
    }

    private Met tombstone(TableId table, List<String> key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT (pg_xact_commit_timestamp_origin(xmin)).timestamp,"
                + " (pg_xact_commit_timestamp_origin(xmin)).roident FROM sluice.tombstone"
                + " WHERE schema_name = ? AND table_name = ? AND key = ?")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            ps.setArray(3, connection.createArrayOf("text", key.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Met.NOTHING;
                }
                Timestamp ts = rs.getTimestamp(1);
                return new Met(false, null, ts == null ? null : ts.toInstant(), leader.writer(rs.getLong(2)));
            }
        }
    }

    private void deleteRow(TableId table, List<String> keyColumns, List<String> key) throws SQLException {
        writer.flush();
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + table.quoted() + " WHERE " + where(keyColumns))) {
            bindKey(ps, 1, key);
            ps.executeUpdate();
        }
    }

    /**
     * The applier's own deletes leave tombstones too (its session runs no triggers); the row version
     * carries the source's commit. Never over a later delete's: the tombstone keeps the last one.
     */
    private void keepTombstone(ChangeEvent.Delete e, List<String> key) throws SQLException {
        TableId table = e.table();
        Met last = tombstone(table, key);
        if (last.commitTime() != null && !remoteWins(e, last)) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO sluice.tombstone (schema_name, table_name, key)"
                + " VALUES (?, ?, ?) ON CONFLICT (schema_name, table_name, key) DO UPDATE SET deletes = sluice.tombstone.deletes + 1")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            ps.setArray(3, connection.createArrayOf("text", key.toArray()));
            ps.executeUpdate();
        }
    }

    private void log(ChangeEvent e, TableId table, String kind, List<String> key, Met local, Map<String, Value> remote,
                     boolean remoteWins) throws SQLException {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        remote.forEach((c, v) -> {
            if (!(v instanceof Value.Unchanged)) {
                names.add(c);
                values.add(SqlText.of(v));
            }
        });
        try (PreparedStatement ps = connection.prepareStatement("""
                INSERT INTO sluice.conflict (source, schema_name, table_name, kind, key, local_row, local_origin,
                  local_commit_time, remote_row, remote_origin, remote_commit_time, remote_commit_lsn, resolution, outcome)
                VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?,
                  (SELECT jsonb_object_agg(n, v) FROM unnest(?::text[], ?::text[]) AS x(n, v)), ?, ?, ?::pg_lsn, ?, ?)""")) {
            int i = 1;
            ps.setString(i++, config.sourceId());
            ps.setString(i++, table.schema());
            ps.setString(i++, table.table());
            ps.setString(i++, kind);
            ps.setArray(i++, connection.createArrayOf("text", key.toArray()));
            ps.setString(i++, local.row());
            ps.setString(i++, local.origin());
            if (local.commitTime() == null) {
                ps.setNull(i++, Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                ps.setTimestamp(i++, Timestamp.from(local.commitTime()));
            }
            ps.setArray(i++, connection.createArrayOf("text", names.toArray()));
            ps.setArray(i++, connection.createArrayOf("text", values.toArray()));
            ps.setString(i++, config.sourceId());
            ps.setTimestamp(i++, Timestamp.from(e.header().commitTime()));
            ps.setString(i++, e.header().commitLsn().toString());
            ps.setString(i++, config.conflicts().key());
            ps.setString(i, remoteWins ? "applied_remote" : "kept_local");
            ps.executeUpdate();
        }
    }

    private static String where(List<String> keyColumns) {
        return keyColumns.stream().map(c -> TableId.quote(c) + " = ?").collect(Collectors.joining(" AND "));
    }

    private static void bindKey(PreparedStatement ps, int from, List<String> key) throws SQLException {
        int i = from;
        for (String k : key) {
            ps.setString(i++, k);
        }
    }

    private static List<String> keyText(ChangeEvent e, List<String> keyColumns, Map<String, Value> values) {
        return keyColumns.stream().map(c -> RowText.of(values.get(c), e, c)).toList();
    }

    private static void requireKey(ChangeEvent e, TableId table, List<String> key) {
        if (key.isEmpty()) {
            throw new ApplierException(e.kind() + " on " + table + " at source LSN " + e.header().commitLsn()
                    + ": a table two leaders write needs a primary key, to tell which row a change meets", false, null);
        }
    }
}
