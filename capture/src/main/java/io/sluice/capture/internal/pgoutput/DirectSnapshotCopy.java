package io.sluice.capture.internal.pgoutput;

import io.sluice.format.follower.SnapshotTarget;
import io.sluice.capture.internal.FrameWriter;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DirectSnapshotMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot by the direct path ({@link SnapshotTarget}): every published table's rows,
 * as of the slot's exported snapshot, copied from the primary's {@code COPY … TO STDOUT} straight
 * into each target's {@code COPY … FROM STDIN} — the same COPY text {@link SnapshotCopy} puts on
 * the stream, without the stream. A table of {@value #SPLIT_PAGES} pages or more is cut into parts
 * by ranges of {@code ctid} (a TID range scan), so one large table is copied on several connections
 * at once on both sides. The snapshot frame then carries the definitions and a
 * {@link DirectSnapshotMessage} naming the targets; it is committed only after every target
 * committed its watermark.
 */
final class DirectSnapshotCopy {

    /** Tables this large (8 KiB pages) are copied in parts, one per connection. */
    static final long SPLIT_PAGES = 1024;

    private static final int BUFFER_BYTES = 64 * 1024;
    private static final Logger log = LoggerFactory.getLogger(DirectSnapshotCopy.class);

    private final Supplier<Connection> connections;
    private final String publication;
    private final int workers;
    private final List<SnapshotTarget> targets;

    /**
     * One range of a table's rows: {@code ctid} from page {@code from} (inclusive) to page {@code to} (exclusive, -1:
     * the end), those the publication's row filter passes ({@code filter}, null: all).
     */
    private record Part(TableId table, boolean partitioned, List<Column> columns, String filter, long from, long to) {
        String where() {
            String rows = SnapshotSessions.where(filter);
            if (from == 0 && to < 0) {
                return rows;
            }
            return (rows.isEmpty() ? " WHERE " : rows + " AND ") + "ctid >= '(" + from + ",0)'::tid"
                    + (to < 0 ? "" : " AND ctid < '(" + to + ",0)'::tid");
        }
    }

    DirectSnapshotCopy(Supplier<Connection> connections, String publication, int workers, List<SnapshotTarget> targets) {
        this.connections = connections;
        this.publication = publication;
        this.workers = workers;
        this.targets = List.copyOf(targets);
    }

    /** How a table's definition events are made: on the stream's snapshot frame, or for the targets alone. */
    interface Definitions {
        List<ChangeEvent> define(TableId table, TableShape shape);
    }

    /**
     * Copies everything visible in {@code snapshotName} into the targets, then commits the frame; returns the rows.
     * {@code defined} is told each table's shape as the snapshot has it. Throws {@link SnapshotGuard.Outdated}, before
     * anything is written, when a table changed under the snapshot.
     */
    long copy(String snapshotName, Lsn consistentPoint, FrameWriter frames, Clock clock, BooleanSupplier stopping,
              SnapshotCopy.Definitions defined) throws Exception {
        FrameWriter.KnownFrame[] frame = new FrameWriter.KnownFrame[1];
        long rows = copy(snapshotName, consistentPoint, clock, stopping, (xmin, at) -> {
            frame[0] = frames.openKnown(consistentPoint, xmin, at);
            return (table, shape) -> {
                defined.said(shape);
                return SnapshotCopy.define(frame[0], table, shape);
            };
        });
        frame[0].send(h -> new DirectSnapshotMessage(names()).toEvent(h));
        defined.into(frame[0]);
        frame[0].commit();
        return rows;
    }

    /**
     * Copies everything visible in {@code snapshotName} into the targets without the stream
     * ({@code sluice rejoin}: a follower rebuilt from a new primary); the definitions carry
     * {@code header}'s source and epoch. Returns the rows.
     */
    long copyAlone(String snapshotName, Lsn consistentPoint, EventHeader header, Clock clock) throws Exception {
        return copy(snapshotName, consistentPoint, clock, () -> false, (xmin, at) -> {
            EventHeader h = new EventHeader(header.source(), consistentPoint, xmin, at, 1, header.epoch());
            return (table, shape) -> SnapshotCopy.define(build -> build.apply(h), table, shape);
        });
    }

    private long copy(String snapshotName, Lsn consistentPoint, Clock clock, BooleanSupplier stopping,
                      java.util.function.BiFunction<Long, Instant, Definitions> opening) throws Exception {
        long started = System.nanoTime();
        SnapshotGuard guard;
        try {
            guard = SnapshotGuard.take(connections, snapshotName, publication, tables -> workers);
        } catch (SQLException | RuntimeException e) {
            targets.forEach(SnapshotTarget::close); // Outdated leaves them open, for the snapshot taken again
            throw e;
        }
        try (guard) {
            try {
                Connection c = guard.session();
                List<TableId> published = guard.tables();
                long xmin = SnapshotSessions.xmin(c);
                Instant at = clock.instant();
                for (SnapshotTarget t : targets) {
                    t.begin(consistentPoint, xmin, at);
                }
                Definitions definitions = opening.apply(xmin, at);
                List<Part> parts = new ArrayList<>();
                for (TableId table : published) {
                    SnapshotSessions.Published what = SnapshotSessions.published(c, publication, table);
                    TableShape shape = CatalogShapes.read(c, table).publishedAs(what.columns());
                    var definition = definitions.define(table, shape);
                    for (SnapshotTarget t : targets) {
                        t.define(definition);
                    }
                    parts.addAll(parts(c, table, shape.columns(), what.filter()));
                }
                log.info("initial snapshot of {} tables at {} by the direct path into {} ({} parts, {} copy connections)",
                        published.size(), consistentPoint, names(), parts.size(), guard.sessions().size());
                long rows = SnapshotWorkers.copyAll(guard, parts, Part::table, "sluice-snapshot-direct", stopping,
                        this::copyPart);
                for (SnapshotTarget t : targets) {
                    t.commit();
                }
                log.info("initial snapshot complete: {} rows of {} tables into {} in {} ms", rows, published.size(), names(),
                        (System.nanoTime() - started) / 1_000_000);
                return rows;
            } finally {
                targets.forEach(SnapshotTarget::close);
            }
        }
    }

    private List<String> names() {
        return targets.stream().map(SnapshotTarget::name).toList();
    }

    /** A plain table of {@value #SPLIT_PAGES} pages or more in parts; anything else whole; the rows {@code filter} passes. */
    private List<Part> parts(Connection c, TableId table, List<Column> columns, String filter) throws SQLException {
        long pages = 0;
        boolean partitioned = false;
        try (PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN relkind = 'r' THEN pg_relation_size(oid)"
                + " / current_setting('block_size')::int ELSE 0 END, relkind = 'p' FROM pg_class WHERE oid = ?::regclass")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    pages = rs.getLong(1);
                    partitioned = rs.getBoolean(2);
                }
            }
        }
        if (pages < SPLIT_PAGES || workers < 2) {
            return List.of(new Part(table, partitioned, columns, filter, 0, -1));
        }
        // As many parts as this machine has cores, at most one per connection: capture's host is
        // rarely bigger than the servers', and on two cores a third COPY pair only contends.
        int n = Math.max(2, Math.min(workers, Runtime.getRuntime().availableProcessors()));
        List<Part> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // The last part runs to the end: pages the snapshot sees beyond the size read here are its.
            out.add(new Part(table, false, columns, filter, pages * i / n, i == n - 1 ? -1 : pages * (i + 1) / n));
        }
        return out;
    }

    private long copyPart(Connection c, Part part, BooleanSupplier halt) throws Exception {
        long started = System.nanoTime();
        List<String> names = part.columns().stream().map(Column::name).toList();
        List<SnapshotTarget.Part> into = new ArrayList<>();
        try {
            for (SnapshotTarget t : targets) {
                into.add(t.load(part.table(), names));
            }
            OutputStream fanOut = new OutputStream() {
                private final byte[] buffer = new byte[BUFFER_BYTES];
                private int used;

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (used + len > buffer.length) {
                        flush();
                    }
                    if (len > buffer.length) {
                        send(b, off, len);
                    } else {
                        System.arraycopy(b, off, buffer, used, len);
                        used += len;
                    }
                }

                @Override
                public void flush() throws IOException {
                    if (used > 0) {
                        send(buffer, 0, used);
                        used = 0;
                    }
                }

                private void send(byte[] b, int off, int len) throws IOException {
                    if (halt.getAsBoolean()) {
                        throw new IOException("the snapshot is stopping");
                    }
                    try {
                        for (SnapshotTarget.Part p : into) {
                            p.write(b, off, len);
                        }
                    } catch (IOException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IOException(e.getMessage(), e);
                    }
                }
            };
            c.unwrap(PGConnection.class).getCopyAPI().copyOut(
                    SnapshotCopy.copyOut(part.table(), part.partitioned(), part.columns(), part.where()), fanOut);
            fanOut.flush();
            long rows = 0;
            for (SnapshotTarget.Part p : into) {
                rows = p.finish();
            }
            log.info("snapshot of {}{}: {} rows in {} ms", part.table(), part.where(), rows,
                    (System.nanoTime() - started) / 1_000_000);
            return rows;
        } finally {
            into.forEach(SnapshotTarget.Part::close);
        }
    }
}
