package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.applier.ConflictResolver;
import io.sluice.applier.ConflictResolver.Conflict;
import io.sluice.applier.ConflictResolver.Decision;
import io.sluice.applier.ConflictResolver.Outcome;
import io.sluice.applier.internal.LeaderRows.Met;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Row changes applied onto a leader (docs/multi-leader.md): before each change the row it meets
 * is read and locked with the commit time and origin of its last writer. A change that meets a row
 * another writer changed last — or misses the row it expects, or meets a key deleted here later — is
 * a conflict: the configured {@link ConflictResolver} decides, and the conflict goes to
 * {@code sluice.conflict} with both versions and the outcome. A change meeting a row this source
 * wrote last is no conflict: the stream's order is the truth. A delete leaves a tombstone, so an
 * insert or update from another leader can tell whether the key was deleted before or after it.
 */
final class ConflictingRows {

    static final String INSERT_EXISTS = "insert_exists";
    /** Sluice's own (PostgreSQL has no name for it): the key was deleted here by a commit later than the insert. */
    static final String INSERT_DELETED = "insert_deleted";
    static final String UPDATE_ORIGIN_DIFFERS = "update_origin_differs";
    /** An update whose new values meet another row's under a unique index (PostgreSQL 18's name). */
    static final String UPDATE_EXISTS = "update_exists";
    static final String UPDATE_MISSING = "update_missing";
    static final String DELETE_ORIGIN_DIFFERS = "delete_origin_differs";
    static final String DELETE_MISSING = "delete_missing";

    private final ApplierConfig config;
    private final RowWriter writer;
    private final LeaderSession leader;
    private final LeaderRows rows;
    private final ConflictLog log;

    ConflictingRows(ApplierConfig config, java.sql.Connection connection, RowWriter writer, LeaderSession leader) {
        this.config = config;
        this.writer = writer;
        this.leader = leader;
        this.rows = new LeaderRows(connection, leader, writer);
        this.log = new ConflictLog(connection, rows);
    }

    /** A schema or DDL event was applied: table columns are read again. */
    void schemaChanged() {
        rows.forgetColumns();
    }

    void insert(ChangeEvent.Insert e) throws SQLException {
        List<String> key = prepare(e, e.table(), e.key(), e.after());
        Map<String, String> after = LeaderRows.text(e, e.after());
        while (true) {
            Met local = rows.row(e.table(), e.key(), key);
            if (local.exists()) {
                Decision d = decide(e, INSERT_EXISTS, e.table(), key, local, Map.of(), after);
                if (d.outcome() == Outcome.APPLY_REMOTE) {
                    unique(e, INSERT_EXISTS, e.table(), e.key(), after, () -> rows.set(e.table(), e.key(), key, after));
                } else if (d.outcome() == Outcome.MERGE) {
                    unique(e, INSERT_EXISTS, e.table(), e.key(), d.row(), () -> rows.set(e.table(), e.key(), key, d.row()));
                }
                return;
            }
            Met deleted = rows.tombstone(e.table(), key);
            if (deleted.commitTime() != null && !config.sourceId().equals(deleted.origin())) {
                Decision d = decide(e, INSERT_DELETED, e.table(), key, deleted, Map.of(), after);
                if (d.outcome() != Outcome.APPLY_REMOTE) {
                    return;
                }
            }
            boolean[] inserted = new boolean[1];
            if (!unique(e, INSERT_EXISTS, e.table(), e.key(), after,
                    () -> inserted[0] = rows.insertIfAbsent(e.table(), e.key(), after)) || inserted[0]) {
                return;
            }
            // A writer on this leader inserted the key meanwhile: decide against its row.
        }
    }

    void update(ChangeEvent.Update e) throws SQLException {
        List<String> key = prepare(e, e.table(), e.key(), e.identity());
        Met local = rows.row(e.table(), e.key(), key);
        Map<String, String> after = LeaderRows.text(e, e.after());
        if (local.exists() && config.sourceId().equals(local.origin())) {
            unique(e, UPDATE_EXISTS, e.table(), e.key(), after, () -> applyUpdate(e));
            return;
        }
        Map<String, String> before = LeaderRows.text(e, e.before());
        if (local.exists()) {
            Decision d = decide(e, UPDATE_ORIGIN_DIFFERS, e.table(), key, local, before, after);
            if (d.outcome() == Outcome.APPLY_REMOTE) {
                unique(e, UPDATE_EXISTS, e.table(), e.key(), after, () -> applyUpdate(e));
            } else if (d.outcome() == Outcome.MERGE) {
                unique(e, UPDATE_EXISTS, e.table(), e.key(), d.row(), () -> rows.set(e.table(), e.key(), key, d.row()));
            }
            return;
        }
        // Missing: deleted here after this update, or before it (then the update may bring the row
        // back, when it carries every column), or never here at all.
        Met deleted = rows.tombstone(e.table(), key);
        if (deleted.commitTime() == null || after.size() != e.after().size()) {
            // Never here, or the update does not carry every column (unchanged TOAST): nothing to bring back.
            log.record(e, config.conflicts(), conflict(e, UPDATE_MISSING, e.table(), key, deleted, before, after),
                    Decision.keepLocal());
            return;
        }
        Decision d = decide(e, UPDATE_MISSING, e.table(), key, deleted, before, after);
        if (d.outcome() == Outcome.APPLY_REMOTE && !rows.insertIfAbsent(e.table(), e.key(), after)) {
            update(e); // a writer on this leader inserted the key meanwhile: decide against its row
        }
    }

    void delete(ChangeEvent.Delete e) throws SQLException {
        List<String> key = prepare(e, e.table(), e.key(), e.before());
        Met local = rows.row(e.table(), e.key(), key);
        if (local.exists() && config.sourceId().equals(local.origin())) {
            rows.delete(e.table(), e.key(), key);
            keepTombstone(e, key);
            return;
        }
        Map<String, String> old = LeaderRows.text(e, e.before());
        Decision d = decide(e, local.exists() ? DELETE_ORIGIN_DIFFERS : DELETE_MISSING, e.table(), key, local, old, old);
        if (d.outcome() == Outcome.APPLY_REMOTE || !local.exists()) {
            if (local.exists()) {
                rows.delete(e.table(), e.key(), key);
            }
            keepTombstone(e, key);
        }
    }

    /** A write of a change. */
    private interface Write {
        void run() throws SQLException;
    }

    private void applyUpdate(ChangeEvent.Update e) throws SQLException {
        try {
            writer.update(e);
            writer.flush();
        } catch (SQLException ex) {
            writer.reset(); // its batch is spent; the unique handling may write again
            throw ex;
        }
    }

    /**
     * Runs {@code write}; when it meets another row under a unique index other than the primary
     * key ({@code insert_exists} / {@code update_exists}, PostgreSQL 18's names), that row is read
     * and the resolver decides: the remote change wins — the other row goes, tombstoned, and the
     * write runs again — or it is dropped. Whether the write ran.
     */
    private boolean unique(ChangeEvent e, String kind, TableId table, List<String> keyColumns, Map<String, String> remote,
                           Write write) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            java.sql.Savepoint sp = rows.savepoint();
            try {
                write.run();
                rows.release(sp);
                return true;
            } catch (SQLException ex) {
                String index = uniqueIndex(ex);
                if (index == null || attempt > 3) {
                    throw ex;
                }
                rows.rollback(sp);
                List<String> columns = rows.uniqueColumns(table, index);
                if (columns.isEmpty() || !remote.keySet().containsAll(columns)) {
                    throw ex;
                }
                List<String> values = columns.stream().map(remote::get).toList();
                Met other = rows.row(table, columns, values);
                if (!other.exists()) {
                    continue; // gone meanwhile: write again
                }
                List<String> otherKey = keyColumns.stream().map(other.row()::get).toList();
                Decision d = decide(e, kind, table, otherKey, other, Map.of(), remote);
                if (d.outcome() != Outcome.APPLY_REMOTE) {
                    return false;
                }
                rows.delete(table, keyColumns, otherKey);
                rows.keepTombstone(table, otherKey);
            }
        }
    }

    /** The unique index (not the primary key's) a failed write violated, or null. */
    private static String uniqueIndex(SQLException ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && "23505".equals(p.getSQLState())
                    && p.getServerErrorMessage() != null) {
                return p.getServerErrorMessage().getConstraint(); // a primary key's has no columns in uniqueColumns

            }
        }
        return null;
    }

    private List<String> prepare(ChangeEvent e, TableId table, List<String> keyColumns, Map<String, io.sluice.format.Value> values)
            throws SQLException {
        if (keyColumns.isEmpty()) {
            throw new ApplierException(e.kind() + " on " + table + " at source LSN " + e.header().commitLsn()
                    + ": a table two leaders write needs a primary key, to tell which row a change meets", false, null);
        }
        writer.flush();
        leader.guard(table, keyColumns);
        return keyColumns.stream().map(c -> RowText.of(values.get(c), e, c)).toList();
    }

    private Decision decide(ChangeEvent e, String kind, TableId table, List<String> key, Met local,
                            Map<String, String> remoteBefore, Map<String, String> remote) throws SQLException {
        ConflictResolver resolver = config.conflicts();
        Conflict c = conflict(e, kind, table, key, local, remoteBefore, remote);
        Decision d = resolver.resolve(c);
        if (d == null || d.outcome() == Outcome.MERGE && !c.rowHere()) {
            throw new ApplierException("conflict resolver " + resolver.name() + " answered " + d + " to a " + kind + " on "
                    + table + " key " + key + " at source LSN " + e.header().commitLsn() + "; a merge needs a row here", false, null);
        }
        log.record(e, resolver, c, d);
        return d;
    }

    private Conflict conflict(ChangeEvent e, String kind, TableId table, List<String> key, Met local,
                              Map<String, String> remoteBefore, Map<String, String> remote) {
        return new Conflict(kind, table, key, local.row(), local.commitTime(), local.origin(), remoteBefore, remote,
                e.header().commitTime(), config.sourceId());
    }

    /** The applier's deletes leave tombstones too (its session runs no triggers), never over a later delete's. */
    private void keepTombstone(ChangeEvent.Delete e, List<String> key) throws SQLException {
        Met last = rows.tombstone(e.table(), key);
        if (ConflictResolver.isLater(e.header().commitTime(), config.sourceId(), last.commitTime(), last.origin())) {
            rows.keepTombstone(e.table(), key);
        }
    }
}
