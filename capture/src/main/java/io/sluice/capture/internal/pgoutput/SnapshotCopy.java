package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.CopyEvent;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
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

    /** {@code connections} must open sessions with the stream's output settings ({@link ReplicationConnection#useOutputSettings}). */
    SnapshotCopy(Supplier<Connection> connections, String publication, int workers) {
        this.connections = connections;
        this.publication = publication;
        this.workers = workers;
    }

    /**
     * Copies everything visible in {@code snapshotName} into one frame at {@code consistentPoint};
     * returns the rows. Gives up, leaving the frame without its COMMIT (void), once {@code stopping} holds.
     */
    long copy(String snapshotName, Lsn consistentPoint, FrameWriter frames, Clock clock, BooleanSupplier stopping)
            throws Exception {
        long started = System.nanoTime();
        List<TableId> tables;
        long xmin;
        try (Connection c = inSnapshot(connections, snapshotName)) {
            tables = tables(c, publication);
            xmin = xmin(c);
            c.rollback();
        }
        log.info("initial snapshot of {} tables at {} (snapshot {}, {} copy connections)", tables.size(), consistentPoint,
                snapshotName, Math.min(workers, Math.max(1, tables.size())));
        FrameWriter.KnownFrame frame = frames.openKnown(consistentPoint, xmin, clock.instant());
        ConcurrentLinkedQueue<TableId> queue = new ConcurrentLinkedQueue<>(tables);
        AtomicLong rows = new AtomicLong();
        int n = Math.min(workers, Math.max(1, tables.size()));
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> new Thread(r, "sluice-snapshot-copy"));
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        BooleanSupplier halt = () -> failed.get() || stopping.getAsBoolean();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                running.add(pool.submit(() -> {
                    try (Connection c = inSnapshot(connections, snapshotName)) {
                        for (TableId t = queue.poll(); t != null && !halt.getAsBoolean(); t = queue.poll()) {
                            rows.addAndGet(copyTable(c, t, frame, halt));
                        }
                        c.rollback();
                    } catch (Exception e) {
                        failed.set(true); // the other copies stop too: the frame will not be committed
                        throw e;
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        if (stopping.getAsBoolean()) {
            throw new IllegalStateException("capture is stopping: the snapshot is left unfinished and starts over next time");
        }
        frame.commit();
        log.info("initial snapshot complete: {} rows of {} tables in {} ms", rows.get(), tables.size(),
                (System.nanoTime() - started) / 1_000_000);
        return rows.get();
    }

    /** A read-only transaction in {@code snapshotName} on a new session from {@code connections}. */
    static Connection inSnapshot(Supplier<Connection> connections, String snapshotName) throws SQLException {
        Connection c = connections.get();
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
            }
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    /** The frame's xid: the oldest transaction the snapshot still sees running (at least 1). */
    static long xmin(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT txid_snapshot_xmin(txid_current_snapshot()) & 4294967295")) {
            rs.next();
            return Math.max(1, rs.getLong(1));
        }
    }

    /** The publication's tables, in name order. */
    static List<TableId> tables(Connection c, String publication) throws SQLException {
        List<TableId> out = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?"
                + " ORDER BY schemaname, tablename")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Sends a table's definition into the frame — its types, its schema, its generated columns — and returns the events. */
    static List<ChangeEvent> define(FrameWriter.KnownFrame frame, TableId table, TableShape shape) {
        List<ChangeEvent> sent = new ArrayList<>();
        if (!shape.types().isEmpty()) {
            sent.add(frame.send(shape::typeDefinitions));
        }
        sent.add(frame.send(h -> new ChangeEvent.SchemaChange(h, table, shape.columns(), shape.identity())));
        if (!shape.generated().isEmpty()) {
            sent.add(frame.send(shape::definition));
        }
        return sent;
    }

    /** The COPY that reads {@code columns} of {@code table}, with {@code where} (may be empty) narrowing the rows. */
    static String copyOut(TableId table, List<Column> columns, String where) {
        // A query rather than the table: a partitioned table (published as its root) has no rows of its own to COPY.
        return "COPY (SELECT " + columns.stream().map(col -> TableId.quote(col.name())).collect(Collectors.joining(", "))
                + " FROM " + table.quoted() + where + ") TO STDOUT";
    }

    private static long copyTable(Connection c, TableId table, FrameWriter.KnownFrame frame, BooleanSupplier stopping)
            throws Exception {
        long started = System.nanoTime();
        TableShape shape = RelationShapes.read(c, table);
        define(frame, table, shape);
        List<Column> columns = shape.columns();
        String sql = copyOut(table, columns, "");
        List<String> names = columns.stream().map(Column::name).toList();
        CopyChunks rows = new CopyChunks(CHUNK_BYTES, stopping, (count, text) ->
                frame.send(h -> CopyEvent.of(h, table, shape.key(), names, count, text)));
        c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql, rows);
        rows.close();
        log.info("snapshot of {}: {} rows in {} ms", table, rows.rows(), (System.nanoTime() - started) / 1_000_000);
        return rows.rows();
    }
}
