package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What capture asks of a publication that already exists (one capture did not create): that it
 * publishes every table {@code capture.tables} lists — and, for the Debezium engine, every column of
 * them: a column list (PostgreSQL 15) narrows what the stream carries but not what Debezium's
 * snapshot reads, so a follower would hold columns the stream never changes (the pgoutput engine
 * honours column lists and row filters, docs/capture.md). Stateless.
 */
final class PublicationCheck {

    private PublicationCheck() {
    }

    /** Checks {@code publication}; a {@link CaptureException} of kind CONFIGURATION names what to fix. */
    static void check(Connection c, String publication, List<String> tables) throws SQLException {
        publishes(c, publication, tables);
    }

    /** Refuses a publication with a column list, naming its tables: the Debezium engine cannot honour one. */
    static void refuseColumnLists(Connection c, String publication) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 15) {
            return; // column lists came with PostgreSQL 15
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT string_agg(r.prrelid::regclass::text, ', ' ORDER BY r.prrelid)"
                + " FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid"
                + " WHERE p.pubname = ? AND r.prattrs IS NOT NULL")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                String narrowed = rs.next() ? rs.getString(1) : null;
                if (narrowed != null) {
                    throw new CaptureException(Kind.CONFIGURATION, "publication " + publication + " publishes " + narrowed
                            + " with a column list: capture.engine=debezium copies every column into a snapshot, so a follower"
                            + " would hold columns the stream never changes. Use capture.engine=pgoutput, which honours column"
                            + " lists, or publish those tables with all their columns (ALTER PUBLICATION "
                            + TableId.quote(publication) + " SET TABLE ... without a column list; a row filter may stay)");
                }
            }
        }
    }

    /**
     * An existing publication must publish every table capture.tables lists (itself or, for a
     * partitioned table, its partitions): a table it lacks would never reach the stream, and its
     * rows already on the primary would never reach a follower either.
     */
    private static void publishes(Connection c, String publication, List<String> tables) throws SQLException {
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT t.r IS NOT NULL,
                       EXISTS (SELECT 1 FROM pg_publication_tables p
                                WHERE p.pubname = ? AND format('%I.%I', p.schemaname, p.tablename)::regclass
                                      IN (SELECT t.r UNION SELECT relid FROM pg_partition_tree(t.r)))
                  FROM (SELECT to_regclass(?::text) AS r) t
                """)) {
            for (String t : tables) {
                TableId table = TableId.parse(t);
                ps.setString(1, publication);
                ps.setString(2, table.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new CaptureException(Kind.CONFIGURATION, "capture.tables names " + t + ", which the primary does not have");
                    }
                    if (!rs.getBoolean(2)) {
                        missing.add(table.toString());
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            String list = String.join(", ", missing);
            throw new CaptureException(Kind.CONFIGURATION, "publication " + publication + " exists but does not publish "
                    + list + ", which capture.tables lists: capture would never see their changes, and their rows already on"
                    + " the primary would not reach the followers. To add them with their rows, start over with a new snapshot"
                    + " (docs/capture.md: drop the slot with --drop-slot, DROP PUBLICATION " + TableId.quote(publication)
                    + ", delete the stream topic, re-create the followers), or run ALTER PUBLICATION " + TableId.quote(publication)
                    + " ADD TABLE " + list + " on the primary: with capture's DDL triggers installed and capture.engine=pgoutput,"
                    + " the rows they hold reach the followers from that point of the stream (otherwise only their later changes)");
        }
    }
}
