package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.Lsn;
import io.sluice.format.PrimaryUrl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.IntFunction;
import org.slf4j.LoggerFactory;

/**
 * Which database cluster capture reads, and on which timeline. A promoted standby keeps its old
 * primary's system identifier and starts a new timeline where its replay of the old one ended
 * (the switch point in its timeline history). After capture comes back on a primary, that primary
 * must hold everything capture already put on the stream: the same cluster, and no part of the
 * stream past the point where the timeline capture read was left. Otherwise the followers hold
 * changes the new primary never had, and continuing would make them differ from it for good.
 *
 * @param systemId the cluster's system identifier ({@code pg_control_system()})
 * @param timeline the primary's current timeline; 0 when read on a standby (not known there)
 */
public record PrimaryLineage(String systemId, int timeline) {

    private static final String FILE = "primary-lineage";

    /** The lineage of the server {@code c} is connected to. */
    public static PrimaryLineage read(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT system_identifier::text, CASE WHEN pg_is_in_recovery() THEN NULL"
                        + " ELSE pg_walfile_name(pg_current_wal_lsn()) END FROM pg_control_system()")) {
            rs.next();
            String walFile = rs.getString(2);
            return new PrimaryLineage(rs.getString(1), walFile == null ? 0 : Integer.parseInt(walFile.substring(0, 8), 16));
        }
    }

    /**
     * Of the URL's hosts, the one that is a primary on the newest timeline, as a URL naming only
     * it; the URL itself when it names one host or no host answers as a primary. With an old
     * primary started again after its standby was promoted both answer as primaries, and pgjdbc's
     * {@code targetServerType=primary} would take whichever is listed first.
     */
    public static String newestPrimary(String url, Properties connection) {
        List<String> hosts = PrimaryUrl.hosts(url);
        if (hosts.size() < 2) {
            return url;
        }
        String best = url;
        int bestTimeline = -1;
        List<String> primaries = new ArrayList<>();
        for (String host : hosts) {
            String one = PrimaryUrl.withOnlyHost(url, host);
            try (Connection c = DriverManager.getConnection(one, connection)) {
                int timeline = read(c).timeline();
                if (timeline == 0) {
                    continue; // a standby (reachable when targetServerType was not asked for)
                }
                primaries.add(host + " (timeline " + timeline + ")");
                if (timeline > bestTimeline) {
                    best = one;
                    bestTimeline = timeline;
                }
            } catch (SQLException e) {
                // down, or a standby: not the primary to read
            }
        }
        if (primaries.size() > 1) {
            LoggerFactory.getLogger(PrimaryLineage.class).warn("{} all answer as primaries: reading the newest timeline's,"
                    + " {}; an old primary started again must be fenced or rebuilt as a standby (sluice rejoin)", primaries, best);
        }
        return best;
    }

    /** The lineage capture last read, kept in its state directory (a capture started afresh still checks). */
    public static Optional<PrimaryLineage> load(Path stateDirectory) {
        Path file = stateDirectory.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
            return Optional.of(new PrimaryLineage(parts[0], Integer.parseInt(parts[1])));
        } catch (IOException | RuntimeException e) {
            throw new CaptureException(Kind.FATAL, "cannot read " + file + " (the primary capture last read): "
                    + e.getMessage() + "; delete it to skip this check once", e);
        }
    }

    public void save(Path stateDirectory) {
        try {
            Files.writeString(stateDirectory.resolve(FILE), systemId + " " + timeline + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + stateDirectory.resolve(FILE), e);
        }
    }

    /**
     * Refuses to go on reading {@code now} ({@code host}) after this lineage when it is another
     * cluster, an older timeline (a primary that was failed over from and came back), a timeline
     * that does not descend from this one, or one that left this timeline before {@code streamed},
     * the end of what the stream holds.
     *
     * @param history the history file of a timeline of {@code now}'s server
     * @throws CaptureException CONFIGURATION saying what happened and what to do
     */
    public void checkContinuedBy(PrimaryLineage now, Optional<Lsn> streamed, String host, IntFunction<String> history) {
        String startOver = " Nothing was read from it. To make the followers equal to this primary, start over:"
                + " delete the stream topic (or choose a new source id), re-create the followers and start capture"
                + " again (it snapshots).";
        if (!now.systemId.equals(systemId)) {
            throw new CaptureException(Kind.CONFIGURATION, host + " is another database cluster (system identifier "
                    + now.systemId + ") than the one capture read before (" + systemId + "): the stream cannot continue"
                    + " from it." + startOver);
        }
        if (now.timeline == 0 || timeline == 0 || now.timeline == timeline) {
            return;
        }
        if (now.timeline < timeline) {
            throw new CaptureException(Kind.CONFIGURATION, host + " runs as a primary on timeline " + now.timeline
                    + ", but capture already read timeline " + timeline + " of the same cluster: it is a primary that was"
                    + " failed over from and must not be read (it may hold writes the stream never had; rebuild it as a"
                    + " standby of the current primary).");
        }
        Optional<Lsn> left = switchPoint(history.apply(now.timeline), timeline);
        if (left.isEmpty()) {
            throw new CaptureException(Kind.CONFIGURATION, host + " is on timeline " + now.timeline + ", which does not"
                    + " descend from timeline " + timeline + " that capture read: the stream cannot continue from it."
                    + startOver);
        }
        if (streamed.isPresent() && streamed.get().compareTo(left.get()) > 0) {
            throw new CaptureException(Kind.CONFIGURATION, host + " left timeline " + timeline + " at " + left.get()
                    + ", but the stream holds what capture read up to " + streamed.get() + ": the followers may have"
                    + " transactions this primary never had (capture was ahead of the standby that was promoted; listing"
                    + " that standby's slot in synchronized_standby_slots prevents this, docs/capture.md)." + startOver);
        }
    }

    /** Where timeline {@code ended} ended, from a timeline history file; empty if the history does not pass through it. */
    public static Optional<Lsn> switchPoint(String history, int ended) {
        for (String line : history.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 2 && !fields[0].startsWith("#") && !fields[0].isEmpty()
                    && Integer.parseInt(fields[0]) == ended) {
                return Optional.of(Lsn.parse(fields[1]));
            }
        }
        return Optional.empty();
    }
}
