package io.sluice.applier.internal;

import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower table's column defaults and collations as the primary's, from a DDL message's {@code default}s and
 * {@code collation}s (FORMAT.md). A collation orders and compares a column's text — and a nondeterministic one decides
 * which values are equal, so which are unique — as on the primary; a default fills a column an insert leaves out once
 * the follower is promoted to primary. Applied rows never use a default (every row carries its values), and a
 * follower that lacks what the primary's needs — a function, a collation — keeps its own with a warning rather than
 * stop the applier: its rows stay equal (a sequence, which only {@code sluice promote} makes, with a note).
 * Only the event trigger's message drops a default: capture's own say nothing of defaults the primary dropped; a
 * collation is never taken back. Not thread-safe.
 */
final class DefaultsAndCollations {

    private static final Logger log = LoggerFactory.getLogger(DefaultsAndCollations.class);

    /** Changes the follower refused ({@code table.column what}), said once: each DDL message tries again. */
    private final Set<String> refused = new HashSet<>();

    /** Sets each column's default and collation that differs from the message's, each in a savepoint of its own. */
    void follow(Connection c, DdlMessage ddl, String where) throws SQLException {
        Map<String, FollowerTable.Existing> now = FollowerTable.columns(c, ddl.table());
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            FollowerTable.Existing have = now.get(col.name());
            if (have == null || have.isGenerated()) {
                continue;
            }
            String column = TableId.quote(col.name());
            List<String> collation = col.collation();
            if (!collation.isEmpty() && !collation.equals(have.collation())) {
                String name = FollowerTypes.qualified(collation);
                // Not ONLY: a table's inheriting tables and partitions keep their parent's column type.
                change(c, "ALTER TABLE " + ddl.table().quoted() + " ALTER COLUMN " + column + " TYPE " + col.type() + " COLLATE "
                        + name, ddl.table(), col.name(), "collation set to " + name, where);
            }
            String want = col.defaultExpression();
            String alter = "ALTER TABLE ONLY " + ddl.table().quoted() + " ALTER COLUMN " + column;
            if (want != null && !want.equals(have.expression())) {
                change(c, alter + " SET DEFAULT (" + want + ")", ddl.table(), col.name(), "default set to " + want, where);
            } else if (want == null && ddl.fromTrigger() && !col.hasDefault() && have.expression() != null) {
                change(c, alter + " DROP DEFAULT", ddl.table(), col.name(), "default dropped", where);
            }
        }
    }

    private void change(Connection c, String sql, TableId table, String column, String what, String where)
            throws SQLException {
        Savepoint before = c.setSavepoint();
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            c.releaseSavepoint(before);
            log.info("{}.{}: {} on the follower ({})", table, column, what, where);
        } catch (SQLException e) {
            c.rollback(before);
            if (!refused.add(table + "." + column + " " + what)) {
                return;
            }
            if (what.startsWith("default set to nextval(") && "42P01".equals(e.getSQLState())) {
                // A follower has no sequences until sluice promote makes them (docs/failover.md).
                log.info("{}.{}: {} left to sluice promote: it makes the primary's sequences and gives a column owning one"
                        + " (a serial) this default back ({})", table, column, what, where);
            } else {
                log.warn("{}.{}: the follower refused \"{}\" ({}): {}; its rows are unaffected, but it differs from the"
                        + " primary there, as would a follower promoted to primary", table, column, what, where, e.getMessage());
            }
        }
    }
}
