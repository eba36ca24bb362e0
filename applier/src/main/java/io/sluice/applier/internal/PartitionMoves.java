package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.DdlMessage;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.util.ArrayList;
import java.util.List;

/**
 * What a follower holding a partitioned table as one table does when partitions leave it on the
 * primary (a DDL message's {@code partitions_gone}): a dropped or detached partition's rows leave the
 * table there with no row change on the stream, so the follower deletes the rows that partition
 * held. Shared by the stores that keep tables. Stateless.
 */
final class PartitionMoves {

    /** The DELETE that takes a gone partition's rows off the follower's table. */
    record Delete(TableId partition, String sql) { }

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
     * the applier where a partition's rows cannot be told by their values.
     */
    static List<Delete> deletes(DdlMessage ddl, Lsn lsn, String where, String follower) {
        List<Delete> out = new ArrayList<>();
        for (DdlMessage.GonePartition gone : ddl.partitionsGone()) {
            if (gone.rows() == null) {
                throw new ApplierException("partition " + gone.table() + " left table " + ddl.table() + " at source LSN " + lsn + " ("
                        + where + ") with its rows, and a hash partition's rows cannot be told by their values: " + follower
                        + " cannot take them off. Re-create the table on the follower from a new snapshot", false, null);
            }
            out.add(new Delete(gone.table(), "DELETE FROM " + ddl.table().quoted() + " WHERE (" + gone.rows() + ")"));
        }
        return out;
    }
}
