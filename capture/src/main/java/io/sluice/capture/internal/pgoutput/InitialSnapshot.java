package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A copy of a slot's exported snapshot, taken again — the slot made anew, so snapshot and stream still meet
 * exactly — while a table changed under the snapshot before it could be locked ({@link SnapshotGuard.Outdated}).
 */
final class InitialSnapshot {

    /** Snapshots tried before giving up: a table rewritten again and again in the few milliseconds between a slot and its locks. */
    static final int ATTEMPTS = 5;

    private static final Logger log = LoggerFactory.getLogger(InitialSnapshot.class);

    /** One copy of a slot's snapshot; returns the rows. */
    @FunctionalInterface
    interface Copy {
        long copy(ReplicationConnection.CreatedSlot slot) throws Exception;
    }

    /** Drops the slot and creates it again, with a new snapshot. */
    @FunctionalInterface
    interface Remake {
        ReplicationConnection.CreatedSlot remake() throws SQLException;
    }

    private InitialSnapshot() {
    }

    /** Copies {@code slot}'s snapshot, or a later one's; returns the slot whose snapshot was copied. */
    static ReplicationConnection.CreatedSlot take(ReplicationConnection.CreatedSlot slot, Copy copy, Remake remake)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                copy.copy(slot);
                return slot;
            } catch (SnapshotGuard.Outdated e) {
                if (attempt == ATTEMPTS) {
                    throw new CaptureException(Kind.FATAL, "the initial snapshot was taken " + ATTEMPTS
                            + " times and each time tables changed under it: " + e.getMessage(), e);
                }
                log.warn("the initial snapshot at {} cannot be copied, taking it again: {}", slot.consistentPoint(), e.getMessage());
                slot = remake.remake();
                log.info("replication slot made again at {}, exporting snapshot {}", slot.consistentPoint(), slot.snapshotName());
            }
        }
    }
}
