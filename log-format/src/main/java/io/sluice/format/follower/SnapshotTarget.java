package io.sluice.format.follower;

import io.sluice.format.ChangeEvent;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.time.Instant;
import java.util.List;

/**
 * A follower that takes capture's initial snapshot by the direct path (docs/capture.md): capture
 * copies every table's rows, as of the slot's exported snapshot, straight from the primary into
 * it — PostgreSQL's COPY text, the same text the stream would carry — on several connections at
 * once, a large table in several parts; the snapshot frame on the stream then carries only the
 * tables' definitions and a marker naming the followers that hold the rows
 * ({@link io.sluice.format.DirectSnapshotMessage}).
 *
 * <p>Capture calls {@link #begin}, then {@link #define} for each table before any of its rows,
 * then {@link #load} once per part (from several threads), and {@link #commit} after every part
 * finished; the snapshot frame is committed on the stream only after that. If anything fails the
 * frame is never committed and capture starts the snapshot over.
 */
public interface SnapshotTarget extends AutoCloseable {

    /** The follower's name, as the stream's marker names it. */
    String name();

    /** Before any table: refuses a follower that already holds a watermark of this source. */
    void begin(Lsn consistentPoint, long xid, Instant commitTime) throws Exception;

    /** A table's definition events (types, schema, generated columns), before any of its rows. */
    void define(List<ChangeEvent> definition) throws Exception;

    /** Opens one part of {@code table}'s rows; called from several threads, each with its own part. */
    Part load(TableId table, List<String> columns) throws Exception;

    /** After every part finished: the watermark at the snapshot's consistent point. */
    void commit() throws Exception;

    @Override
    void close();

    /** One part of a table's rows, loaded in a follower transaction of its own. */
    interface Part extends AutoCloseable {

        /** COPY text, whole lines or not. */
        void write(byte[] text, int offset, int length) throws Exception;

        /** Ends the part and commits it; returns the rows loaded. */
        long finish() throws Exception;

        /** Abandons the part if it did not finish. */
        @Override
        void close();
    }
}
