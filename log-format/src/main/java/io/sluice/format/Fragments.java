package io.sluice.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Version 4 of the format (FORMAT.md, "Fragments"): a payload longer than one Kafka record may be
 * written as consecutive fragment records, each a slice of it under a small header. A row whose
 * value is tens of megabytes is valid on PostgreSQL; a record that large is not on a Kafka broker
 * configured as most are (1 MiB), so capture cuts every payload over {@link #MAX_RECORD_BYTES}.
 * Readers put them back together with {@link RecordJoiner}. Stateless.
 */
public final class Fragments {

    /** The version byte of a fragment. */
    public static final int VERSION = 4;
    /** The most bytes capture writes in one record: under Kafka's default {@code max.message.bytes} (1,048,588) with its batch overhead. */
    public static final int MAX_RECORD_BYTES = 1_000_000;
    /** magic, version and three varints of at most 5 bytes each (an int). */
    private static final int HEADER_BYTES = 2 + 3 * 5;

    /** One fragment read: the {@code index}th of {@code count} slices of a payload of {@code length} bytes. */
    public record Fragment(int index, int count, int length, byte[] buf, int sliceOffset, int sliceLength) { }

    private Fragments() {
    }

    /**
     * The records that carry {@code payload}: itself when it is at most {@code maxRecordBytes}
     * long, otherwise its fragments in order.
     */
    public static List<byte[]> split(byte[] payload, int maxRecordBytes) {
        if (payload.length <= maxRecordBytes) {
            return List.of(payload);
        }
        if (maxRecordBytes <= HEADER_BYTES) {
            throw new IllegalArgumentException("records of " + maxRecordBytes + " bytes cannot hold a fragment's header");
        }
        int slice = maxRecordBytes - HEADER_BYTES;
        int count = (int) ((payload.length + (long) slice - 1) / slice);
        List<byte[]> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int from = i * slice;
            int to = Math.min(payload.length, from + slice);
            BinaryOut out = new BinaryOut(HEADER_BYTES + to - from);
            out.write(BinaryCodec.MAGIC);
            out.write(VERSION);
            out.varlong(i);
            out.varlong(count);
            out.varlong(payload.length);
            out.raw(payload, from, to - from);
            records.add(out.toByteArray());
        }
        return records;
    }

    /** Whether {@code value} (a whole record's value) is a fragment. */
    public static boolean isFragment(byte[] value, int offset, int length) {
        return length >= 2 && value[offset] == BinaryCodec.MAGIC && (value[offset + 1] & 0xFF) == VERSION;
    }

    /** Reads a fragment's header; the slice is left in {@code value}, not copied. */
    public static Fragment read(byte[] value, int offset, int length) {
        BinaryIn in = new BinaryIn(value, offset, length);
        in.pos += 2;
        in.field = "the fragment's header";
        long index = in.varlong();
        long count = in.varlong();
        long total = in.varlong();
        if (count < 2 || count > Integer.MAX_VALUE || index < 0 || index >= count) {
            throw in.fail("fragment " + index + " of " + count + ": a fragmented payload has at least 2 fragments, numbered from 0");
        }
        if (total < count || total > Integer.MAX_VALUE) {
            throw in.fail("a fragmented payload of " + total + " bytes in " + count + " fragments");
        }
        int slice = in.end - in.pos;
        if (slice == 0) {
            throw in.fail("fragment " + index + " of " + count + " holds no bytes");
        }
        return new Fragment((int) index, (int) count, (int) total, value, in.pos, slice);
    }

    /** A payload's bytes in fragments are one payload of an earlier version, never a fragment again. */
    static void checkJoined(byte[] payload) {
        if (isFragment(payload, 0, payload.length)) {
            throw new FormatException("a fragmented payload whose bytes are a fragment again (starting "
                    + Arrays.toString(Arrays.copyOf(payload, Math.min(8, payload.length))) + ")");
        }
    }
}
