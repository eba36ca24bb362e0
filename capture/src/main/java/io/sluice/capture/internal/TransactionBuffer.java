package io.sluice.capture.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventCodec;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Holds the events of the transaction being read until its COMMIT tells the commit LSN, which
 * every event of the frame carries (Debezium reports it only at the end). The first
 * {@code memoryLimit} events stay in memory; the rest spill to a file in {@code spillDirectory},
 * so a transaction of any size passes in bounded memory. Not thread-safe.
 */
final class TransactionBuffer implements AutoCloseable {

    private final int memoryLimit;
    private final Path spillDirectory;
    private final List<ChangeEvent> memory = new ArrayList<>();
    private Path spillFile;
    private DataOutputStream spill;
    private long size;

    TransactionBuffer(int memoryLimit, Path spillDirectory) {
        this.memoryLimit = memoryLimit;
        this.spillDirectory = spillDirectory;
    }

    void add(ChangeEvent event) {
        size++;
        if (spill == null && memory.size() < memoryLimit) {
            memory.add(event);
            return;
        }
        try {
            if (spill == null) {
                Files.createDirectories(spillDirectory);
                spillFile = Files.createTempFile(spillDirectory, "txn-", ".spill");
                spill = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spillFile), 1 << 16));
            }
            byte[] payload = EventCodec.encode(event, EventCodec.CURRENT_VERSION); // a copy event has no older form
            spill.writeInt(payload.length);
            spill.write(payload);
        } catch (IOException e) {
            throw new UncheckedIOException("spilling a large transaction to " + spillDirectory, e);
        }
    }

    long size() {
        return size;
    }

    boolean spilled() {
        return spill != null;
    }

    /** Hands every buffered event, in order and stamped with {@code commitLsn}, to {@code sink}; then empties. */
    void drain(Lsn commitLsn, Consumer<ChangeEvent> sink) {
        for (ChangeEvent e : memory) {
            sink.accept(withCommitLsn(e, commitLsn));
        }
        if (spill != null) {
            try {
                spill.close();
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spillFile), 1 << 16))) {
                    while (true) {
                        int length;
                        try {
                            length = in.readInt();
                        } catch (EOFException end) {
                            break;
                        }
                        byte[] payload = in.readNBytes(length);
                        sink.accept(withCommitLsn(EventCodec.decode(payload), commitLsn));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading back the spilled transaction " + spillFile, e);
            }
        }
        clear();
    }

    /** Forgets the buffered events (a transaction abandoned, e.g. on shutdown). */
    void clear() {
        memory.clear();
        size = 0;
        if (spill != null) {
            try {
                spill.close();
                Files.deleteIfExists(spillFile);
            } catch (IOException e) {
                throw new UncheckedIOException("removing spill file " + spillFile, e);
            } finally {
                spill = null;
                spillFile = null;
            }
        }
    }

    @Override
    public void close() {
        clear();
    }

    /** The same event with the frame's commit LSN in its header. */
    static ChangeEvent withCommitLsn(ChangeEvent e, Lsn lsn) {
        EventHeader o = e.header();
        return e.withHeader(new EventHeader(o.source(), lsn, o.xid(), o.commitTime(), o.seq()));
    }

}
