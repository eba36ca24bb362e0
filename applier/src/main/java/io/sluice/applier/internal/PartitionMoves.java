package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.DdlMessage;
import io.sluice.format.Lsn;
import java.util.ArrayList;
import java.util.List;

/**
 * What a follower holding a partitioned table as one table does when partitions leave or join it on
 * the primary (a DDL message's {@code partitions_gone} / {@code partitions_joined}): a dropped or
 * detached partition's rows leave the table there with no row change on the stream, so the follower
 * deletes the rows that partition held; a partition attached with rows of its own brings rows no
 * change carried, so the applier stops, naming it. Shared by the stores that keep tables. Stateless.
 */
final class PartitionMoves {

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
     * the applier where the follower cannot match the primary: a partition joined with rows, or one
     * gone whose rows cannot be told by their values.
     */
    static List<String> deletes(DdlMessage ddl, Lsn lsn, String where, String follower) {
        if (!ddl.partitionsJoined().isEmpty()) {
            throw new ApplierException("partitions " + ddl.partitionsJoined() + " joined table " + ddl.table() + " at source LSN " + lsn
                    + " (" + where + ") holding rows of their own (ATTACH PARTITION), which no row change carried: " + follower
                    + " would lack them. Copy their rows into its " + ddl.table() + " as they were then and skip the"
                    + " transaction (sluice apply --skip-transaction " + lsn + "), or re-create the table on the follower from a"
                    + " new snapshot; attach partitions empty and load them through the partitioned table to avoid this", false, null);
        }
        List<String> out = new ArrayList<>();
        for (DdlMessage.GonePartition gone : ddl.partitionsGone()) {
            if (gone.rows() == null) {
                throw new ApplierException("partition " + gone.table() + " left table " + ddl.table() + " at source LSN " + lsn + " ("
                        + where + ") with its rows, and a hash partition's rows cannot be told by their values: " + follower
                        + " cannot take them off. Re-create the table on the follower from a new snapshot", false, null);
            }
            out.add("DELETE FROM " + ddl.table().quoted() + " WHERE (" + gone.rows() + ")");
        }
        return out;
    }
}
