package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.PrimarySession;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.follower.SnapshotTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Properties;

/**
 * A copy of a primary's published tables into one target, off the stream: in the snapshot a
 * temporary slot exports, so the copy holds exactly the transactions committed up to its
 * consistent point and the stream's later ones follow it without gap or overlap.
 */
public final class SnapshotAlone {

    private SnapshotAlone() {
    }

    /** Copies into {@code target}; returns the consistent point its watermark is set at. */
    public static Lsn copy(String jdbcUrl, Properties connection, String source, long epoch, String publication,
                           SnapshotTarget target, Clock clock) {
        try (ReplicationConnection replication = ReplicationConnection.open(jdbcUrl, connection, source)) {
            String name = "sluice_seed_" + ProcessHandle.current().pid();
            ReplicationConnection.CreatedSlot copied = InitialSnapshot.take(replication.createTemporarySlot(name), slot ->
                    new DirectSnapshotCopy(() -> session(jdbcUrl, connection), publication, 2, List.of(target))
                            .copyAlone(slot.snapshotName(), slot.consistentPoint(), new EventHeader(source, slot.consistentPoint(), 1,
                                    clock.instant(), 0, epoch), clock), () -> {
                        replication.dropSlot(name);
                        return replication.createTemporarySlot(name);
                    });
            return copied.consistentPoint();
        } catch (CaptureException e) {
            throw e;
        } catch (Exception e) {
            throw new CaptureException(Kind.FATAL, "copying " + jdbcUrl + " into " + target.name() + ": " + e.getMessage(), e);
        }
    }

    private static Connection session(String jdbcUrl, Properties connection) {
        try {
            Connection c = DriverManager.getConnection(jdbcUrl, connection);
            PrimarySession.withSessionSettings(c);
            return c;
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "a snapshot connection to " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }
}
