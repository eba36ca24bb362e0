package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture's slot as a failover slot (PostgreSQL 17): a standby running {@code sync_replication_slots}
 * keeps a copy of it, so after that standby is promoted capture continues from the copy. The
 * primary's {@code synchronized_standby_slots} makes logical decoding wait until the standbys it
 * lists have the WAL, so capture is never ahead of a standby that may be promoted. Checked at start;
 * what is missing is logged with the setting that fixes it (docs/capture.md, "Failover").
 */
public final class FailoverSlots {

    private static final Logger log = LoggerFactory.getLogger(FailoverSlots.class);

    /** A connection to the primary, left open. */
    private final Connection primary;
    /** Makes the named slot a failover slot (a replication command: no SQL function can). */
    private final Consumer<String> makeFailover;

    public FailoverSlots(Connection primary, Consumer<String> makeFailover) {
        this.primary = primary;
        this.makeFailover = makeFailover;
    }

    /** What the primary says about failover for capture's slot. */
    public record Standing(boolean supported, boolean failoverSlot, List<String> synchronizedStandbySlots,
                           List<String> unlistedStandbySlots) { }

    /** Makes the existing, inactive {@code slot} a failover slot where the server has them, and reports the set-up. */
    public Standing ensure(String slot) {
        Standing s = read(slot);
        if (!s.supported()) {
            log.info("PostgreSQL before 17 has no failover slots: slot {} stays on this server only; after a standby is"
                    + " promoted capture stops there and the followers need a new snapshot", slot);
            return s;
        }
        if (!s.failoverSlot()) {
            makeFailover.accept(slot);
            log.info("replication slot {} is now a failover slot: standbys with sync_replication_slots = on keep it", slot);
            s = read(slot);
        }
        if (!s.unlistedStandbySlots().isEmpty()) {
            log.warn("standby slot(s) {} are not in synchronized_standby_slots ({}): capture may read changes such a"
                    + " standby does not have yet, and if it is promoted capture refuses to continue there (the"
                    + " followers would be ahead of it); list them: ALTER SYSTEM SET synchronized_standby_slots = '{}'",
                    s.unlistedStandbySlots(), s.synchronizedStandbySlots().isEmpty() ? "empty" : s.synchronizedStandbySlots(),
                    String.join(",", concat(s.synchronizedStandbySlots(), s.unlistedStandbySlots())));
        }
        return s;
    }

    public Standing read(String slot) {
        try {
            if (primary.getMetaData().getDatabaseMajorVersion() < 17) {
                return new Standing(false, false, List.of(), List.of());
            }
            boolean failover;
            try (PreparedStatement ps = primary.prepareStatement(
                    "SELECT failover FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    failover = rs.next() && rs.getBoolean(1);
                }
            }
            List<String> listed = new ArrayList<>();
            List<String> unlisted = new ArrayList<>();
            try (PreparedStatement ps = primary.prepareStatement("SELECT current_setting('synchronized_standby_slots')");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                Arrays.stream(rs.getString(1).split(",")).map(String::trim).filter(n -> !n.isEmpty()).forEach(listed::add);
            }
            try (PreparedStatement ps = primary.prepareStatement(
                    "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!listed.contains(rs.getString(1))) {
                        unlisted.add(rs.getString(1));
                    }
                }
            }
            return new Standing(true, failover, List.copyOf(listed), List.copyOf(unlisted));
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading the failover set-up of slot " + slot + ": " + e.getMessage(), e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
