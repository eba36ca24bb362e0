package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.EventHeader;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL follower's tables inherit from one another as the primary's do ({@code INHERITS}, {@code ALTER TABLE …
 * INHERIT}; partitions are not this): a query of a parent on the follower then sees its children's rows, as on the
 * primary, while every statement of the applier names a table's own rows only ({@link SchemaSync#rowsOf}). A table is
 * linked to the parents the follower has — capture announces the parents a trigger's message names before the message,
 * and a snapshot defines a table after its parents. Stateless.
 */
final class FollowerInheritance {

    private static final Logger log = LoggerFactory.getLogger(FollowerInheritance.class);

    private FollowerInheritance() {
    }

    /**
     * Makes {@code table} inherit from those of {@code parents} the follower has, and from no other table: a link the
     * primary dropped ({@code NO INHERIT}) goes here too. A link the follower cannot make (its table differs from the
     * parent's in a column) stops the applier, naming both tables and where.
     */
    static void follow(Connection c, TableId table, List<TableId> parents, EventHeader header, String where)
            throws SQLException {
        List<TableId> have = parents(c, table);
        List<TableId> wanted = new ArrayList<>();
        for (TableId parent : parents) {
            if (FollowerTable.exists(c, parent)) {
                wanted.add(parent);
            } else if (!have.contains(parent)) {
                log.info("follower table {} inherits from {} on the primary, which the stream does not carry: not linked",
                        table, parent);
            }
        }
        try (Statement st = c.createStatement()) {
            for (TableId parent : have) {
                if (!wanted.contains(parent)) {
                    link(st, "ALTER TABLE " + table.quoted() + " NO INHERIT " + parent.quoted(), table, parent, header, where);
                }
            }
            for (TableId parent : wanted) {
                if (!have.contains(parent)) {
                    link(st, "ALTER TABLE " + table.quoted() + " INHERIT " + parent.quoted(), table, parent, header, where);
                }
            }
        }
    }

    /**
     * Unlinks the tables that inherit from {@code table} on the follower before it is dropped: the primary's messages
     * say what becomes of each (dropped with it, or left on its own).
     */
    static void release(Connection c, TableId table) throws SQLException {
        List<TableId> children = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, k.relname FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
                  JOIN pg_namespace n ON n.oid = k.relnamespace
                 WHERE i.inhparent = to_regclass(?) AND NOT k.relispartition ORDER BY n.nspname, k.relname""")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    children.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        try (Statement st = c.createStatement()) {
            for (TableId child : children) {
                st.execute("ALTER TABLE " + child.quoted() + " NO INHERIT " + table.quoted());
            }
        }
    }

    /** The tables {@code table} inherits from on the follower, in order (not a partition's table). */
    private static List<TableId> parents(Connection c, TableId table) throws SQLException {
        List<TableId> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, p.relname FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
                  JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
                 WHERE i.inhrelid = to_regclass(?) AND NOT k.relispartition ORDER BY i.inhseqno""")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    private static void link(Statement st, String sql, TableId table, TableId parent, EventHeader header, String where)
            throws SQLException {
        try {
            st.execute(sql);
        } catch (SQLException e) {
            throw new ApplierException("the follower cannot link table " + table + " to " + parent + " as the primary has it at"
                    + " source LSN " + header.commitLsn() + " (" + where + "): " + e.getMessage() + " [SQLSTATE " + e.getSQLState()
                    + "; statement: " + sql + "]", false, e);
        }
        log.info("follower table {}: {} (source LSN {})", table, sql, header.commitLsn());
    }
}
