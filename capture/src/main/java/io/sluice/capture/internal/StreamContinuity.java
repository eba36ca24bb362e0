package io.sluice.capture.internal;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.pgoutput.ReplicationConnection;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the primary capture is about to read continues the stream, checked at every start and
 * reconnect before anything is read: its slot is there and not confirmed past the stream's end,
 * and it is the cluster and timeline that carry everything the stream holds ({@link PrimaryLineage})
 * — after a follower was promoted, the cluster the newest epoch names. Otherwise changes may be
 * lost, or the followers hold changes the primary never had, and capture refuses, saying what
 * happened and the way out. Used by one thread at a time.
 */
public final class StreamContinuity {

    private static final Logger log = LoggerFactory.getLogger(StreamContinuity.class);

    private final CaptureConfig config;
    /** The primary capture last read (null before the first check). */
    private PrimaryLineage lineage;

    public StreamContinuity(CaptureConfig config) {
        this.config = config;
    }

    /**
     * @param session  a connection to the primary about to be read, at {@code url}; it stays open
     * @param streamed the end of what the stream holds; empty for a stream without transactions
     * @throws CaptureException CONFIGURATION when the primary does not continue the stream
     */
    public void check(Connection session, String url, Optional<Lsn> streamed, Optional<EpochMarker> promotion) {
        checkLineage(session, url, streamed, promotion);
        refuseGap(session, streamed);
    }

    /**
     * The epoch capture writes in: 0 while no follower was ever promoted, else the newest epoch's,
     * provided the primary is the cluster that epoch's promotion made the primary.
     *
     * @throws CaptureException CONFIGURATION for a primary a promotion replaced, or a promotion not finished
     */
    public long epoch(Connection session, String url, Optional<EpochMarker> promotion) {
        if (promotion.isEmpty()) {
            return 0;
        }
        EpochMarker m = promotion.get();
        String system;
        try {
            system = PrimaryLineage.read(session).systemId();
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading the primary's system identifier: " + e.getMessage(), e);
        }
        if (!system.equals(m.primarySystemId())) {
            throw new CaptureException(Kind.CONFIGURATION, "the primary at " + url + " (system identifier " + system
                    + ") is no longer the primary of source " + config.sourceId() + ": follower " + m.follower() + " (system"
                    + " identifier " + m.primarySystemId() + ") was promoted to primary at " + m.promotedAt() + ", epoch "
                    + m.epoch() + ". Capture refuses to read the replaced primary: what it committed since is not in the"
                    + " stream's history. List those writes with 'sluice rejoin --old-primary " + url + "' and point"
                    + " primary.url at the new primary (docs/failover.md)");
        }
        if (m.startLsn() == null) {
            throw new CaptureException(Kind.CONFIGURATION, "the promotion of follower " + m.follower() + " to primary (epoch "
                    + m.epoch() + ", " + m.promotedAt() + ") has not finished: run 'sluice promote --follower " + m.follower()
                    + "' again (docs/failover.md)");
        }
        return m.epoch();
    }

    /** The lineage is checked when the stream holds something, and kept after. */
    private void checkLineage(Connection session, String url, Optional<Lsn> streamed, Optional<EpochMarker> promotion) {
        PrimaryLineage now;
        String host;
        try (Statement st = session.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(host(inet_server_addr()) || ':' || inet_server_port(), '')")) {
            rs.next();
            host = rs.getString(1).isEmpty() ? "the primary " + url : "the primary at " + rs.getString(1);
            now = PrimaryLineage.read(session);
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading the primary's system identifier and timeline: " + e.getMessage(), e);
        }
        Optional<PrimaryLineage> before = lineage != null ? Optional.of(lineage) : PrimaryLineage.load(config.stateDirectory());
        boolean promoted = before.isPresent() && !before.get().systemId().equals(now.systemId())
                && promotion.map(m -> m.primarySystemId().equals(now.systemId())).orElse(false);
        if (promoted) {
            log.warn("capture continues on {}: follower {} was promoted to primary (epoch {}), it replaces the cluster {}",
                    host, promotion.get().follower(), promotion.get().epoch(), before.get().systemId());
        } else if (streamed.isPresent() && before.isPresent()) {
            before.get().checkContinuedBy(now, streamed, host, timeline -> ReplicationConnection.once(url,
                    config.connection(), config.sourceId(), "reading the history of timeline " + timeline,
                    c -> c.timelineHistory(timeline)));
            if (before.get().timeline() != now.timeline()) {
                log.warn("capture continues on {}, timeline {} (was timeline {}): a standby was promoted", host,
                        now.timeline(), before.get().timeline());
            }
        }
        lineage = now;
        now.save(config.stateDirectory());
    }

    /**
     * The stream is where capture resumes. Refuses when the primary no longer has what comes
     * after it: the slot is gone (dropped by hand, invalidated by {@code max_slot_wal_keep_size},
     * or not kept by a promoted standby), or its confirmed position is past the end of the stream
     * (another client consumed from it). Either way changes may be lost and would be skipped silently.
     */
    private void refuseGap(Connection session, Optional<Lsn> streamed) {
        if (streamed.isEmpty()) {
            return;
        }
        Optional<PrimarySetup.SlotInfo> slot = PrimarySetup.slot(session, config.slotName());
        String startOver = " Nothing was started. To start over: delete the stream topic (or choose a new source id),"
                + " run 'sluice capture --drop-slot', re-create the followers, and start capture again (it snapshots)";
        if (slot.isEmpty()) {
            throw new CaptureException(Kind.CONFIGURATION, "replication slot " + config.slotName() + " does not exist, but"
                    + " the stream " + TopicNames.stream(config.sourceId()) + " holds transactions up to " + streamed.get()
                    + ": changes since then may be lost and would not be captured. If a standby was promoted, the slot"
                    + " did not follow it: PostgreSQL before 17, capture.slot.failover off, or a standby without"
                    + " sync_replication_slots = on (or not yet synchronised; docs/capture.md, \"Failover\")." + startOver);
        }
        String confirmed = slot.get().confirmedFlushLsn();
        if (confirmed != null && Lsn.parse(confirmed).compareTo(streamed.get()) > 0) {
            throw new CaptureException(Kind.CONFIGURATION, "replication slot " + config.slotName() + " is confirmed up to "
                    + confirmed + ", past the end of the stream " + TopicNames.stream(config.sourceId()) + " ("
                    + streamed.get() + "): what was consumed from the slot in between is not on the stream"
                    + " (another client read the slot, or the topic lost records)." + startOver);
        }
    }
}
