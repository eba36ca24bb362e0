package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a PostgreSQL follower does when a DDL message says the primary renamed a table or moved it to another
 * schema ({@code renamedFrom}, FORMAT.md): the same, at the same position, rows and all — otherwise the table's next
 * write would create an empty one under the new name. Runs inside the apply transaction. Not thread-safe.
 */
final class TableRenames {

    private static final Logger log = LoggerFactory.getLogger(TableRenames.class);

    private final SchemaSync schemas;

    /** {@code schemas}: told to forget both names' shapes, and which tables the open transaction created. */
    TableRenames(SchemaSync schemas) {
        this.schemas = schemas;
    }

    /**
     * Renames {@code from} to {@code to}. A follower without the old table has nothing to rename. One that has the new
     * name too cannot tell which is meant, and the applier stops — unless that one is the empty table this apply
     * transaction just made from a schema event: a capture that read the table's creation late announced it under
     * its new name, and the old one, rows and all, is the table.
     */
    void follow(Connection c, TableId from, TableId to, Lsn lsn, String where) throws SQLException {
        if (!FollowerTable.exists(c, from)) {
            return;
        }
        if (FollowerTable.exists(c, to) && schemas.createdNow(to) && FollowerTable.isEmpty(c, SchemaSync.rowsOfNow(c, to))) {
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE " + to.quoted());
            }
            schemas.droppedNow(to);
        }
        if (FollowerTable.exists(c, to)) {
            throw new ApplierException("the primary renamed table " + from + " to " + to + " at source LSN " + lsn + " (" + where
                    + "), but the follower has both: " + to + " is the follower's own, or a table the primary dropped without"
                    + " the stream saying so (drops are carried only by capture's DDL triggers). Drop " + to + " on the"
                    + " follower if it is not wanted, then restart the applier", false, null);
        }
        try (Statement st = c.createStatement()) {
            TableId at = from;
            if (!from.schema().equals(to.schema())) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(to.schema()));
                st.execute("ALTER TABLE " + from.quoted() + " SET SCHEMA " + TableId.quote(to.schema()));
                at = new TableId(to.schema(), from.table());
            }
            if (!at.table().equals(to.table())) {
                st.execute("ALTER TABLE " + at.quoted() + " RENAME TO " + TableId.quote(to.table()));
            }
        }
        schemas.forget(from);
        schemas.forget(to);
        log.info("follower table {} renamed to {} as on the primary (source LSN {})", from, to, lsn);
    }
}
