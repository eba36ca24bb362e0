package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.CopyEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.SaidDefinitions;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot: every published table's rows as of the slot's exported snapshot, copied
 * with {@code COPY … TO STDOUT} on several connections that all run in that snapshot, written as
 * one frame at the slot's consistent point — so snapshot and stream meet exactly, no gap and no
 * overlap. Values are the text the types' output functions write, as in the stream, and travel as
 * they came: COPY text in copy events of about {@value #CHUNK_BYTES} bytes each (FORMAT.md), which a
 * PostgreSQL follower loads with {@code COPY … FROM STDIN} unchanged.
 */
final class SnapshotCopy {

    /** COPY text per copy event: a Kafka record of its own, small enough to fetch and hold. */
    static final int CHUNK_BYTES = 256 * 1024;

    private static final Logger log = LoggerFactory.getLogger(SnapshotCopy.class);

    private final Supplier<Connection> connections;
    private final String publication;
    private final int workers;

    /** {@code connections} must open sessions with the stream's output settings ({@link io.sluice.format.SessionSettings}). */
    SnapshotCopy(Supplier<Connection> connections, String publication, int workers) {
        this.connections = connections;
        this.publication = publication;
        this.workers = workers;
    }

    /** Told each table's shape as the snapshot has it; what it was told goes into the snapshot's frame before its COMMIT. */
    interface Definitions {
        void said(TableShape shape);

        /** What it was told since this was last asked; null when nothing. */
        SaidDefinitions changes();

        /** Sends the changes, if any, into the frame. */
        default void into(FrameWriter.KnownFrame frame) {
            SaidDefinitions changes = changes();
            if (changes != null) {
                frame.send(changes::toEvent);
            }
        }
    }

    /**
     * Copies everything visible in {@code snapshotName} into one frame at {@code consistentPoint}; returns the rows;
     * {@code defined} is told each table's shape as the snapshot has it. Gives up, leaving the frame without its COMMIT
     * (void), once {@code stopping} holds; throws {@link SnapshotGuard.Outdated}, before the frame opens, when a table
     * changed under the snapshot.
     */
    long copy(String snapshotName, Lsn consistentPoint, FrameWriter frames, Clock clock, BooleanSupplier stopping,
              Definitions defined) throws Exception {
        long started = System.nanoTime();
        try (SnapshotGuard guard = SnapshotGuard.take(connections, snapshotName, publication,
                tables -> Math.min(workers, Math.max(1, tables)))) {
            List<TableId> tables = guard.tables();
            long xmin = SnapshotSessions.xmin(guard.session());
            log.info("initial snapshot of {} tables at {} (snapshot {}, {} copy connections)", tables.size(), consistentPoint,
                    snapshotName, guard.sessions().size());
            FrameWriter.KnownFrame frame = frames.openKnown(consistentPoint, xmin, clock.instant());
            // Every definition first, on the first session, parents before the tables that inherit from them (the
            // list's order): a follower links a table only to parents it has; and pg_publication_tables locks every
            // table it lists (PostgreSQL 16 and later), which only the first session may wait for.
            Map<TableId, Definition> definitions = new HashMap<>();
            for (TableId t : tables) {
                SnapshotSessions.Published published = SnapshotSessions.published(guard.session(), publication, t);
                TableShape shape = CatalogShapes.read(guard.session(), t).publishedAs(published.columns());
                define(frame, t, shape);
                defined.said(shape);
                definitions.put(t, new Definition(shape, copyOut(t, partitioned(guard.session(), t), shape.columns(),
                        SnapshotSessions.where(published.filter()))));
            }
            long rows = SnapshotWorkers.copyAll(guard, tables, t -> t, "sluice-snapshot-copy", stopping,
                    (c, t, halt) -> copyRows(c, t, definitions.get(t), frame, halt));
            defined.into(frame);
            frame.commit();
            log.info("initial snapshot complete: {} rows of {} tables in {} ms", rows, tables.size(),
                    (System.nanoTime() - started) / 1_000_000);
            return rows;
        }
    }

    /** Sends a table's definition into the frame — its types, its schema, its generated columns and parents — and returns the events. */
    static List<ChangeEvent> define(FrameWriter.KnownFrame frame, TableId table, TableShape shape) {
        return define(frame::send, table, shape);
    }

    /** A table's definition events — its types, schema, generated columns and parents — each made by {@code send} from a header. */
    static List<ChangeEvent> define(Function<Function<EventHeader, ChangeEvent>, ChangeEvent> send, TableId table,
                                    TableShape shape) {
        List<ChangeEvent> sent = new ArrayList<>();
        if (!shape.types().isEmpty()) {
            sent.add(send.apply(shape::typeDefinitions));
        }
        sent.add(send.apply(h -> new ChangeEvent.SchemaChange(h, table, shape.columns(), shape.identity())));
        if (shape.hasDefinition()) {
            sent.add(send.apply(shape::definition));
        }
        return sent;
    }

    /**
     * The COPY that reads {@code columns} of {@code table}, with {@code where} (may be empty) narrowing the rows:
     * a partitioned table's rows are its partitions', a plain table's only its own — a table that inherits
     * from it is published, and copied, as itself.
     */
    static String copyOut(TableId table, boolean partitioned, List<Column> columns, String where) {
        // A query rather than the table: a partitioned table (published as its root) has no rows of its own to COPY.
        return "COPY (SELECT " + columns.stream().map(col -> TableId.quote(col.name())).collect(Collectors.joining(", "))
                + " FROM " + (partitioned ? "" : "ONLY ") + table.quoted() + where + ") TO STDOUT";
    }

    /** Whether {@code table} is a partitioned table (its rows are its partitions'). */
    static boolean partitioned(Connection c, TableId table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = ?::regclass")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** A table of the snapshot as defined in the frame, and the COPY that reads the rows its publication publishes. */
    private record Definition(TableShape shape, String sql) { }

    /** Copies one table's rows into the frame, after its definition. */
    private static long copyRows(Connection c, TableId table, Definition definition, FrameWriter.KnownFrame frame,
                                 BooleanSupplier stopping) throws Exception {
        long started = System.nanoTime();
        TableShape shape = definition.shape();
        String sql = definition.sql();
        List<String> names = shape.columnNames();
        CopyChunks rows = new CopyChunks(CHUNK_BYTES, stopping, (count, text) ->
                frame.send(h -> CopyEvent.of(h, table, shape.key(), names, count, text)));
        c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, rows);
        rows.close();
        log.info("snapshot of {}: {} rows in {} ms", table, rows.rows(), (System.nanoTime() - started) / 1_000_000);
        return rows.rows();
    }
}
