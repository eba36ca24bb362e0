package io.sluice.capture;

import io.sluice.capture.internal.PrimarySetup;
import io.sluice.capture.internal.pgoutput.SnapshotAlone;
import io.sluice.format.Lsn;
import io.sluice.format.follower.SnapshotTarget;
import java.time.Clock;
import java.util.Optional;
import java.util.Properties;

/**
 * What a failover asks of capture on a server capture is not running on (docs/failover.md): a
 * promoted follower made ready to be captured ({@code sluice promote}), and an old primary rebuilt
 * as a follower of the new one, off the stream ({@code sluice rejoin}).
 */
public final class PrimaryHandover {

    private PrimaryHandover() {
    }

    /**
     * Prepares the server at {@code jdbcUrl} as capture's start would for {@code capture} — the
     * checks, the publication, the DDL triggers, the slot — and returns the slot's confirmed
     * position, where capture will start on it; empty if the slot is not there after all.
     *
     * @throws CaptureException CONFIGURATION naming the setting and the fix, or FATAL
     */
    public static Optional<Lsn> prepare(CaptureConfig capture, String jdbcUrl, Properties connection) {
        PrimarySetup setup = new PrimarySetup(jdbcUrl, connection);
        setup.prepare(capture.publicationName(), capture.slotName(), capture.tables(), true, capture.failover().slot());
        return setup.slot(capture.slotName()).map(PrimarySetup.SlotInfo::confirmedFlushLsn).map(Lsn::parse);
    }

    /**
     * Copies the tables {@code publication} publishes on the server at {@code jdbcUrl} into
     * {@code target}, in the snapshot a temporary slot exports, so the stream's transactions after
     * its consistent point follow the copy without gap or overlap; returns that point. The
     * definitions carry {@code source} and {@code epoch}.
     */
    public static Lsn copyOffStream(String jdbcUrl, Properties connection, String source, long epoch, String publication,
                                    SnapshotTarget target, Clock clock) {
        return SnapshotAlone.copy(jdbcUrl, connection, source, epoch, publication, target, clock);
    }
}
