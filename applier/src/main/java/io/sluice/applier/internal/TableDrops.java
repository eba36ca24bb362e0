package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.EventHeader;
import io.sluice.format.TableDrop;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a SQL follower does when the primary dropped a table its publication published, or the publication
 * publishes its rows as another table from then on ({@link TableDrop}): drops its own at the same position,
 * so a table made again under the name starts empty there too; a table the follower never had is nothing
 * to drop. Shared by the PostgreSQL and DuckDB stores. Stateless.
 */
final class TableDrops {

    private static final Logger log = LoggerFactory.getLogger(TableDrops.class);

    private TableDrops() {
    }

    /** Drops the follower's table, or stops naming what keeps it (a view of the follower's own, say). */
    static void drop(Connection c, TableDrop drop, EventHeader header, String at, String follower) throws SQLException {
        if (drop.table().schema().equals(Watermark.SCHEMA)) {
            throw new ApplierException("a dropped-table message at " + at + " names " + drop.table() + ", in Sluice's own schema on"
                    + " the follower, which no stream's table is; the follower stays at its last good watermark", false, null);
        }
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + drop.table().quoted());
        } catch (SQLException e) {
            throw new ApplierException("follower " + follower + " cannot drop table " + drop.table() + " as the stream says at"
                    + " source LSN " + header.commitLsn() + " (" + at + "): " + e.getMessage() + ". Drop what depends on it"
                    + " on the follower (or the table), and restart the applier", false, e);
        }
        log.info("follower {} dropped table {} as the stream says (source LSN {})", follower, drop.table(), header.commitLsn());
    }
}
