package io.sluice.applier.internal;

import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower table's column defaults as the primary's, from a DDL message's {@code default}s (FORMAT.md): a follower
 * promoted to primary then fills a column an insert leaves out as the primary did. Applied rows never use them —
 * every row carries its values — so a default the follower cannot take (a function or a sequence it lacks: a
 * serial's sequence comes with {@code sluice promote}) is left out with a warning rather than stop the applier.
 * Only the event trigger's message drops one: capture's own say nothing of defaults the primary dropped. Not
 * thread-safe.
 */
final class FollowerDefaults {

    private static final Logger log = LoggerFactory.getLogger(FollowerDefaults.class);

    /** Defaults the follower refused ({@code table.column = expression}), said once: each DDL message tries again. */
    private final Set<String> refused = new HashSet<>();

    /** Sets (or drops) each column's default that differs from the message's, each in a savepoint of its own. */
    void follow(Connection c, DdlMessage ddl, String where) throws SQLException {
        Map<String, FollowerTable.Existing> now = FollowerTable.columns(c, ddl.table());
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            FollowerTable.Existing have = now.get(col.name());
            if (have == null || have.isGenerated()) {
                continue;
            }
            String want = col.defaultExpression();
            String alter = "ALTER TABLE ONLY " + ddl.table().quoted() + " ALTER COLUMN " + TableId.quote(col.name());
            if (want != null && !want.equals(have.expression())) {
                change(c, alter + " SET DEFAULT (" + want + ")", ddl.table(), col.name(), "set to " + want, where);
            } else if (want == null && ddl.fromTrigger() && !col.hasDefault() && have.expression() != null) {
                change(c, alter + " DROP DEFAULT", ddl.table(), col.name(), "dropped", where);
            }
        }
    }

    private void change(Connection c, String sql, TableId table, String column, String what, String where)
            throws SQLException {
        Savepoint before = c.setSavepoint();
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            c.releaseSavepoint(before);
            log.info("default of {}.{} {} on the follower ({})", table, column, what, where);
        } catch (SQLException e) {
            c.rollback(before);
            if (!refused.add(table + "." + column + " " + what)) {
                return;
            }
            log.warn("default of {}.{} not {} on the follower ({}): {}; its rows are unaffected, but a follower promoted to"
                    + " primary would lack it", table, column, what, where, e.getMessage());
        }
    }
}
