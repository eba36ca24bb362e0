package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A table's shape as the primary's catalog has it now, for the engine to announce a table before pgoutput describes it
 * — a created table, one a publication took in, a parent, the types an ALTER's message lacks — with what the stream
 * said of it in place of what the catalog may hold ahead ({@link StreamDefinitions}). Shares {@link RelationShapes}'s
 * catalog session. Not thread-safe: the engine's thread.
 */
final class PublishedShapes {

    /** How long a created table's announcement waits for it before leaving it to its first row. */
    private static final Duration ANNOUNCE_PATIENCE = Duration.ofSeconds(5);

    private final PrimarySession session;
    private final CommitVisibility commits;
    private final StreamDefinitions said;

    PublishedShapes(PrimarySession session, CommitVisibility commits, StreamDefinitions said) {
        this.session = session;
        this.commits = commits;
        this.said = said;
    }

    /** The domains, composite types and enums the table's columns use now (the catalog's current state; enums' labels as said). */
    List<TypeDefinition> userTypes(TableId table) {
        try (PreparedStatement ps = session.get().prepareStatement("SELECT to_regclass(?)::oid")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1) == null ? List.of() : said.labels().typesAsSaid(UserTypes.read(session.get(), rs.getInt(1)));
            }
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the types of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /**
     * The table's shape as the catalog has it now, if {@code publication} publishes the table (a
     * partition published through its root is not published itself); empty otherwise, as for a
     * table dropped since — or created by the decoded transaction, which is not visible within
     * a few seconds (or may be waiting for capture as its synchronous standby).
     */
    Optional<TableShape> published(String publication, TableId table) {
        try {
            if (!publishes(publication, table)
                    && (!commits.becameVisible(session.get(), ANNOUNCE_PATIENCE) || !publishes(publication, table))) {
                return Optional.empty(); // not published, or (the transaction not visible in time) left to its first row
            }
            return publishedShape(publication, table);
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the shape of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /**
     * The table's shape as the catalog has it now, with the columns {@code publication} publishes of it (a column list);
     * empty when the catalog no longer has it.
     */
    private Optional<TableShape> publishedShape(String publication, TableId table) throws SQLException {
        Connection c = session.get();
        Optional<TableShape> shape = CatalogShapes.readIfPresent(c, table); // empty: dropped or renamed since it was looked for
        if (shape.isEmpty()) {
            return shape;
        }
        return Optional.of(said.asSaid(shape.get().publishedAs(SnapshotSessions.published(c, publication, table).columns()), true));
    }

    /**
     * The table's shape as the catalog has it now, for rows the DDL triggers said {@code publication}
     * publishes as this table — the columns it publishes — read again once the decoded transaction is
     * visible if it made the table or grew the column list to the {@code columns} the rows have; empty
     * when the catalog lacks the table even so (dropped since: its drop follows on the stream).
     */
    Optional<TableShape> described(String publication, TableId table, List<String> columns) {
        try {
            if (!exists(table) && (!commits.becameVisible(session.get(), ANNOUNCE_PATIENCE) || !exists(table))) {
                return Optional.empty();
            }
            Optional<TableShape> shape = publishedShape(publication, table);
            if (shape.isPresent() && !shape.get().columnNames().containsAll(columns)
                    && commits.becameVisible(session.get(), ANNOUNCE_PATIENCE)) {
                // The decoded transaction grew the publication's column list: the catalog has it once that is visible.
                shape = publishedShape(publication, table);
            }
            return shape;
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the shape of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    private boolean exists(TableId table) throws SQLException {
        try (PreparedStatement ps = session.get().prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private boolean publishes(String publication, TableId table) throws SQLException {
        try (PreparedStatement ps = session.get().prepareStatement("SELECT 1 FROM pg_publication_tables"
                + " WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
            ps.setString(1, publication);
            ps.setString(2, table.schema());
            ps.setString(3, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
