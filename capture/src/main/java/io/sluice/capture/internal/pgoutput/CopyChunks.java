package io.sluice.capture.internal.pgoutput;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Cuts the byte stream of a {@code COPY … TO STDOUT} (text format) into chunks of whole lines of
 * about {@code chunkBytes} each, handing each on with its row count. A raw newline byte ends a row
 * (a newline inside a value is escaped as {@code \n}), so no parsing is needed. Not thread-safe.
 */
final class CopyChunks extends OutputStream {

    /** Receives a chunk: its rows and their text (a fresh array). */
    interface Sink {
        void accept(long rows, byte[] text);
    }

    private final int chunkBytes;
    private final BooleanSupplier stopping;
    private final Sink sink;
    private byte[] buf;
    private int size;
    private int lastLineEnd;     // bytes up to here are whole lines
    private long linesBefore;    // whole lines in buf[0, lastLineEnd)
    private long rows;

    CopyChunks(int chunkBytes, BooleanSupplier stopping, Sink sink) {
        this.chunkBytes = chunkBytes;
        this.stopping = stopping;
        this.sink = sink;
        this.buf = new byte[chunkBytes + 64 * 1024];
    }

    /** Rows handed on so far. */
    long rows() {
        return rows;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        if (stopping.getAsBoolean()) {
            throw new IllegalStateException("capture is stopping: the snapshot is left unfinished and starts over next time");
        }
        if (size + length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + length));
        }
        System.arraycopy(bytes, offset, buf, size, length);
        for (int i = size; i < size + length; i++) {
            if (buf[i] == '\n') {
                lastLineEnd = i + 1;
                linesBefore++;
            }
        }
        size += length;
        if (lastLineEnd >= chunkBytes) {
            emit();
        }
    }

    /** Hands on the last whole lines; a COPY that ended inside a line is an error. */
    @Override
    public void close() {
        if (size != lastLineEnd) {
            throw new IllegalStateException("the COPY output ended inside a row (" + (size - lastLineEnd) + " bytes after the last newline)");
        }
        if (lastLineEnd > 0) {
            emit();
        }
    }

    private void emit() {
        byte[] text = Arrays.copyOf(buf, lastLineEnd);
        long lines = linesBefore;
        int rest = size - lastLineEnd;
        System.arraycopy(buf, lastLineEnd, buf, 0, rest);
        size = rest;
        lastLineEnd = 0;
        linesBefore = 0;
        sink.accept(lines, text);
        rows += lines;
    }
}
