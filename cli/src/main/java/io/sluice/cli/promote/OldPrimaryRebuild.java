package io.sluice.cli.promote;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.DirectSeed;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.PrimaryHandover;
import io.sluice.format.CaptureSessions;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code sluice rejoin --rebuild-as NAME}: an old primary becomes a follower of the new one. What
 * the old primary held of the replicated tables is discarded (its lost writes were listed first),
 * capture's slot and publication on it are dropped (and {@code synchronous_standby_names}, when it
 * names capture), and the tables are copied from the new primary
 * in the snapshot of a temporary slot; its watermark is set at that snapshot's position — in the
 * promotion's epoch, at its marker, when a follower was promoted — so an applier for it continues
 * from the stream.
 */
public final class OldPrimaryRebuild {

    private final CaptureConfig newPrimary;
    private final PrintStream out;

    /** @param newPrimary capture's configuration, its URL the new primary's */
    public OldPrimaryRebuild(CaptureConfig newPrimary, PrintStream out) {
        this.newPrimary = newPrimary;
        this.out = out;
    }

    /** Rebuilds {@code old} as the follower {@code name}; returns the position its watermark is at. */
    public Lsn run(String name, String oldUrl, Properties oldConnection, Optional<EpochMarker> promotion, Clock clock)
            throws SQLException {
        List<TableId> tables = published();
        try (Connection c = DriverManager.getConnection(oldUrl, oldConnection); Statement st = c.createStatement()) {
            // Capture of it as a synchronous standby is gone for good: nothing must wait for it any more.
            st.execute("SET synchronous_commit = local");
            String waitsFor = scalar(st, "SELECT current_setting('synchronous_standby_names')");
            if (waitsFor.contains(CaptureSessions.walsender(newPrimary.sourceId()))) {
                st.execute("ALTER SYSTEM RESET synchronous_standby_names");
                st.execute("SELECT pg_reload_conf()");
                out.println("old primary: synchronous_standby_names named capture (" + waitsFor + "); reset");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active")) {
                ps.setString(1, newPrimary.slotName());
                ps.execute();
            }
            st.execute("DROP PUBLICATION IF EXISTS " + TableId.quote(newPrimary.publicationName()));
            for (TableId t : tables) {
                st.execute("DROP TABLE IF EXISTS " + t.quoted() + " CASCADE");
            }
            // Capture's DDL trigger lives in schema sluice, where the follower's bookkeeping goes now
            // (unless the server already is a follower of another source).
            if ("true".equals(scalar(st, "SELECT (to_regclass('sluice.flyway_schema_history') IS NULL)::text"))) {
                st.execute("DROP SCHEMA IF EXISTS sluice CASCADE");
            }
        }
        out.println("old primary: capture's slot, publication and DDL trigger dropped, " + tables.size()
                + " replicated table(s) discarded");
        ApplierConfig follower = ApplierConfig.of(newPrimary.sourceId(), name, oldUrl, oldConnection, newPrimary.kafka());
        Lsn at = PrimaryHandover.copyOffStream(newPrimary.jdbcUrl(), newPrimary.connection(), newPrimary.sourceId(),
                promotion.map(EpochMarker::epoch).orElse(0L), newPrimary.publicationName(),
                new DirectSeed(follower, promotion.orElse(null)), clock);
        out.println("old primary rebuilt as follower " + name + " from the new primary at " + at + "; start its applier"
                + " ('sluice apply --follower " + name + "' with followers." + name + ".url = " + oldUrl + ")");
        return at;
    }

    private static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private List<TableId> published() throws SQLException {
        List<TableId> tables = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(newPrimary.jdbcUrl(), newPrimary.connection());
             PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?"
                     + " AND schemaname <> 'sluice'")) {
            ps.setString(1, newPrimary.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return tables;
    }
}
