package io.sluice.capture.internal.pgoutput;

import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * The snapshot's sessions. The first holds {@code ACCESS SHARE} on every table the publication had in the snapshot
 * until the copies are done, so no command that gives a table new storage ({@code TRUNCATE}, an {@code ALTER TABLE}
 * that rewrites it, {@code VACUUM FULL}, {@code CLUSTER}) can commit while they run. The first two are not MVCC-safe:
 * a snapshot taken before one of them reads the table as empty. Any of them that committed between the slot's snapshot
 * and the locks — a table whose storage is not the one the snapshot saw (the forms cannot be told apart), or a table
 * gone — makes the snapshot {@link Outdated}: it is taken again. The other sessions copy
 * a table at a time, each in a transaction of its own that takes that table's lock without waiting
 * ({@link #lockAlone}): a command queued behind the first session's lock holds up every later request for that table
 * (PostgreSQL queues locks in order), so a session that waited would wait for ever; and a transaction per table keeps
 * the locks the copy holds at about one per table, as before.
 */
final class SnapshotGuard implements AutoCloseable {

    /** A table changed under the snapshot after it was taken; a new snapshot must be taken. */
    static final class Outdated extends Exception {
        Outdated(String message) {
            super(message);
        }
    }

    private final List<Connection> sessions;
    private final List<TableId> tables;
    private final Map<TableId, String> locks;
    private final String snapshotName;

    private SnapshotGuard(List<Connection> sessions, List<TableId> tables, Map<TableId, String> locks, String snapshotName) {
        this.sessions = sessions;
        this.tables = tables;
        this.locks = locks;
        this.snapshotName = snapshotName;
    }

    /**
     * Opens sessions in {@code snapshotName} — as many as {@code sessions} says for the number of tables — lists
     * {@code publication}'s tables in the first, locks them there and checks them.
     */
    static SnapshotGuard take(Supplier<Connection> connections, String snapshotName, String publication,
                              IntUnaryOperator sessions) throws SQLException, Outdated {
        List<Connection> open = new ArrayList<>();
        try {
            Connection first = SnapshotSessions.inSnapshot(connections, snapshotName);
            open.add(first);
            List<TableId> tables = SnapshotSessions.tables(first, publication);
            Map<TableId, String> locks = lockAndCheck(first, tables);
            for (int i = 1; i < sessions.applyAsInt(tables.size()); i++) {
                open.add(SnapshotSessions.inSnapshot(connections, snapshotName));
            }
            return new SnapshotGuard(List.copyOf(open), tables, locks, snapshotName);
        } catch (SQLException | Outdated | RuntimeException e) {
            for (Connection c : open) {
                c.close();
            }
            throw e;
        }
    }

    /** The sessions, in the snapshot; the first holds every table, and its catalog reads see it as the snapshot did. */
    List<Connection> sessions() {
        return sessions;
    }

    /** The first session. */
    Connection session() {
        return sessions.get(0);
    }

    /** The publication's tables, each after the tables it inherits from (as {@link SnapshotSessions#tables}). */
    List<TableId> tables() {
        return tables;
    }

    /**
     * Ends {@code c}'s transaction (another session than the first), starts the next in the snapshot and locks
     * {@code table} in it if no command holds or waits for it; false, the transaction ended, if one does.
     */
    boolean lockAlone(Connection c, TableId table) throws SQLException {
        c.rollback();
        SnapshotSessions.enter(c, snapshotName);
        try (Statement st = c.createStatement()) {
            st.execute(locks.get(table) + " NOWAIT");
            return true;
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                c.rollback();
                return false;
            }
            throw e;
        }
    }

    /**
     * Locks each table by its oid in the snapshot (its name now may be another table's), then compares the
     * storage the snapshot saw — the table's, or a partitioned table's partitions' — with the storage now. Returns
     * each table's lock statement, for the other sessions.
     */
    private static Map<TableId, String> lockAndCheck(Connection c, List<TableId> tables) throws SQLException, Outdated {
        List<String> changed = new ArrayList<>();
        Map<TableId, String> locks = new HashMap<>();
        // pg_class read by a query sees it as the snapshot did; pg_relation_filenode, pg_partition_tree and
        // regclass's output read the catalog as it is now.
        try (PreparedStatement seen = c.prepareStatement("SELECT c.oid, c.relkind = 'p' FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?");
             PreparedStatement lock = c.prepareStatement("SELECT CASE WHEN pg_table_is_visible(?::oid) IS NOT NULL"
                     + " THEN format('LOCK TABLE %s IN ACCESS SHARE MODE', ?::oid::regclass) END");
             PreparedStatement moved = c.prepareStatement("WITH RECURSIVE tree(oid) AS (SELECT ?::oid UNION ALL"
                     + " SELECT i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid"
                     + " JOIN pg_class p ON p.oid = tree.oid WHERE p.relkind = 'p')"
                     + " SELECT EXISTS (SELECT 1 FROM tree JOIN pg_class r ON r.oid = tree.oid"
                     + " WHERE r.relkind = 'r' AND r.relfilenode IS DISTINCT FROM pg_relation_filenode(r.oid))"
                     + " OR (? AND EXISTS ((SELECT oid FROM tree EXCEPT SELECT relid FROM pg_partition_tree(?::oid::regclass))"
                     + " UNION ALL (SELECT relid FROM pg_partition_tree(?::oid::regclass) EXCEPT SELECT oid FROM tree)))");
             Statement st = c.createStatement()) {
            for (TableId table : tables) {
                seen.setString(1, table.schema());
                seen.setString(2, table.table());
                long oid;
                boolean partitioned;
                try (ResultSet rs = seen.executeQuery()) {
                    rs.next();
                    oid = rs.getLong(1);
                    partitioned = rs.getBoolean(2);
                }
                lock.setLong(1, oid);
                lock.setLong(2, oid);
                String statement;
                try (ResultSet rs = lock.executeQuery()) {
                    rs.next();
                    statement = rs.getString(1);
                }
                if (statement == null) {
                    changed.add(table + " (dropped)");
                    continue;
                }
                st.execute(statement);
                locks.put(table, statement);
                moved.setLong(1, oid);
                moved.setBoolean(2, partitioned);
                moved.setLong(3, oid);
                moved.setLong(4, oid);
                try (ResultSet rs = moved.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        changed.add(table.toString());
                    }
                }
            }
        }
        if (!changed.isEmpty()) {
            throw new Outdated("rewritten, truncated, dropped or repartitioned after the snapshot was taken and before it"
                    + " could lock them (it would read them as empty): " + changed);
        }
        return locks;
    }

    @Override
    public void close() throws SQLException {
        SQLException first = null;
        for (Connection c : sessions) {
            try {
                c.rollback();
                c.close();
            } catch (SQLException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
