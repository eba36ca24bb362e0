package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.DdlMessage;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a follower holding a partitioned table as one table does when partitions leave it on the
 * primary (a DDL message's {@code partitions_gone}): a dropped or detached partition's rows leave the
 * table there with no row change on the stream, so the follower deletes the rows that partition
 * held. Shared by the stores that keep tables. Stateless.
 */
final class PartitionMoves {

    private static final Logger log = LoggerFactory.getLogger(PartitionMoves.class);

    /** The DELETE that takes a gone partition's rows off the follower's table. */
    private record Delete(TableId partition, String sql) { }

    private PartitionMoves() {
    }

    /** The first gone partition's rows that could reach outside their parentheses, or null (checked before anything runs). */
    static String unsafe(DdlMessage ddl) {
        for (DdlMessage.GonePartition gone : ddl.partitionsGone()) {
            String refused = gone.rows() == null ? null
                    : SchemaGuard.expressionRefusal("the rows of partition " + gone.table() + " of " + ddl.table(), gone.rows());
            if (refused != null) {
                return refused;
            }
        }
        return null;
    }

    /**
     * The DELETEs that take the rows of the partitions gone off the follower's table, in order; stops
     * the applier where a partition's rows cannot be told by their values — nor, on a follower that
     * compares text by its bytes ({@code bytewise}), by bounds the source compares by a collation.
     */
    private static List<Delete> deletes(DdlMessage ddl, Lsn lsn, String where, String follower, boolean bytewise) {
        List<Delete> out = new ArrayList<>();
        for (DdlMessage.GonePartition gone : ddl.partitionsGone()) {
            String why = gone.rows() == null ? "a hash partition's rows cannot be told by their values"
                    : bytewise && gone.collated() ? "its bounds compare text by the primary's collation (or an extension's operator"
                    + " class), and " + follower + " compares bytes" : null;
            if (why != null) {
                throw new ApplierException("partition " + gone.table() + " left table " + ddl.table() + " at source LSN " + lsn + " ("
                        + where + ") with its rows, and " + why + ": " + follower
                        + " cannot take them off. Re-create the table on the follower from a new snapshot", false, null);
            }
            out.add(new Delete(gone.table(), "DELETE FROM " + ddl.table().quoted() + " WHERE (" + gone.rows() + ")"));
        }
        return out;
    }

    /**
     * Deletes the rows of the partitions gone from the follower's table, on {@code c}, in the apply transaction;
     * {@code bytewise}: the follower compares text by its bytes, not by the source's collations.
     */
    static void deleteGone(Connection c, DdlMessage ddl, Lsn lsn, String where, String follower, boolean bytewise)
            throws SQLException {
        try (Statement st = c.createStatement()) {
            for (Delete delete : deletes(ddl, lsn, where, follower, bytewise)) {
                int rows = st.executeUpdate(delete.sql());
                log.info("{} rows of partition {}, gone from {} on the primary, deleted on {} (source LSN {})", rows,
                        delete.partition(), ddl.table(), follower, lsn);
            }
        }
    }
}
