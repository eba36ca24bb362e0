package io.sluice.capture.internal.pgoutput;

import io.sluice.format.CaptureSessions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Whether the transaction being decoded is visible to capture's catalog session yet. The server
 * decodes a transaction once its commit record is flushed, a moment before the committing session
 * takes it out of the running transactions — and, while that commit waits for a synchronous
 * standby, not until the standby confirms. A table or type the transaction itself created is
 * missing from the catalog until then. Knows, per transaction, once it is visible. Not
 * thread-safe: the engine's thread.
 */
final class CommitVisibility {

    private static final String XMAX = "SELECT txid_snapshot_xmax(txid_current_snapshot())";
    private static final String VISIBLE = "SELECT txid_visible_in_snapshot(?, txid_current_snapshot())";
    private static final long FIRST_PAUSE_NANOS = 200_000;
    private static final long LONGEST_PAUSE_NANOS = 20_000_000;

    private final String source;
    private final Clock clock;
    /** The transaction being decoded (0: none), whether it is known to be visible, and whether a wait for it ran out. */
    private long xid;
    private boolean visible;
    private boolean waitedOut;

    /** {@code source}: whose capture may be named a synchronous standby. */
    CommitVisibility(String source, Clock clock) {
        this.source = source;
        this.clock = clock;
    }

    /** The transaction whose messages come next. */
    void decoding(long xid) {
        this.xid = xid;
        this.visible = false;
        this.waitedOut = false;
    }

    /** Whether the decoded transaction is known to be visible, without asking. */
    boolean known() {
        return visible || xid == 0;
    }

    /**
     * Whether the decoded transaction, not known to be visible so far, is visible on {@code c} now,
     * waiting up to {@code patience} for it — but not at all when capture may be a synchronous
     * standby: the commit may then be waiting for capture, and never become visible while capture
     * waits for it. False when it was known to be visible already: a caller that found the catalog
     * lacking reads it again only when this is true, as nothing it could see changed otherwise.
     * Once a wait ran out, later questions about the same transaction look once and do not wait
     * again: a commit held that long (a synchronous standby that is down, say) would otherwise
     * stall capture once per table it touched.
     */
    boolean becameVisible(Connection c, Duration patience) throws SQLException {
        if (known()) {
            return false;
        }
        visible = await(c, patience);
        return visible;
    }

    /** Why the decoded transaction's own tables and types cannot be described: it is not visible. */
    String notVisible(Duration patience) {
        return "transaction " + xid + " is in the WAL but capture's catalog session does not see it committed (waited "
                + patience.toSeconds() + " s, or not at all where synchronous_standby_names names capture, whose"
                + " confirmation that commit may be waiting for). Capture reads the tables and types a transaction"
                + " created from the catalog once the transaction is visible: create a published table or a type in a"
                + " transaction of its own before writing rows that use it";
    }

    private boolean await(Connection c, Duration patience) throws SQLException {
        long full;
        try (PreparedStatement ps = c.prepareStatement(XMAX); ResultSet rs = ps.executeQuery()) {
            rs.next();
            full = fullXid(xid, rs.getLong(1));
        }
        try (PreparedStatement ps = c.prepareStatement(VISIBLE)) {
            ps.setLong(1, full);
            if (visible(ps)) {
                return true;
            }
            if (waitedOut || mayWaitForCapture(c, source)) {
                return false;
            }
            Instant deadline = clock.instant().plus(patience);
            for (long pause = FIRST_PAUSE_NANOS; !clock.instant().isAfter(deadline); pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS)) {
                LockSupport.parkNanos(pause);
                if (visible(ps)) {
                    return true;
                }
            }
            waitedOut = true;
            return false;
        }
    }

    /**
     * The 64-bit transaction id (epoch and xid, as {@code txid_current} gives it) of the 32-bit
     * {@code xid} pgoutput sends, given a snapshot's {@code xmax}: the one of that xid nearest xmax,
     * a transaction being decoded never being 2^31 transactions away from it — before it when it
     * completed already, at or after it while it has not.
     */
    static long fullXid(long xid, long xmax) {
        long delta = (xid - xmax) & 0xFFFF_FFFFL;
        return delta < 0x8000_0000L ? xmax + delta : xmax + delta - 0x1_0000_0000L;
    }

    /** Whether {@code synchronous_standby_names} names capture of {@code source}, or any standby ({@code *}). */
    static boolean mayWaitForCapture(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('synchronous_standby_names')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            String names = rs.getString(1).toLowerCase(Locale.ROOT);
            return names.contains(CaptureSessions.walsender(source)) || names.contains("*");
        }
    }

    private static boolean visible(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
