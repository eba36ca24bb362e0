package io.sluice.capture.internal.pgoutput;

import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.TableId;
import java.util.List;

/**
 * A captured table's shape at one point of the WAL: its columns with their exact types, in the
 * order pgoutput sends a row's values, the replica identity key and the identity kind.
 */
record TableShape(TableId table, List<Column> columns, List<String> key, ReplicaIdentity identity) {

    TableShape {
        columns = List.copyOf(columns);
        key = List.copyOf(key);
    }

    static ReplicaIdentity identity(char code) {
        return switch (code) {
            case 'f' -> ReplicaIdentity.FULL;
            case 'i' -> ReplicaIdentity.INDEX;
            case 'n' -> ReplicaIdentity.NOTHING;
            default -> ReplicaIdentity.DEFAULT;
        };
    }
}
