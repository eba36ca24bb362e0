package io.sluice.format;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a stream's records, in offset order, as the payloads capture wrote: a record that is a
 * payload of its own is decoded as it is; the fragments of a longer one (FORMAT.md, "Fragments")
 * are gathered until the last one and then decoded as one payload. A fragmented payload that does
 * not finish — capture stopped while writing it, so the next record starts anew — is dropped, as a
 * frame cut short is; so is every fragment whose payload began before this joiner's first record
 * or before a jump in offsets (a seek). Fragments out of order, or that disagree about their
 * payload, are refused with a {@link FormatException}. Not thread-safe: one per reader.
 */
public final class RecordJoiner {

    /** What a payload's bytes are first given room for; more only as fragments bring them. */
    private static final int INITIAL_BYTES = 4 * 1024 * 1024;

    /** A whole payload: its events and the offsets of its first and last record (one record: the same). */
    public record Joined(long firstOffset, long lastOffset, List<ChangeEvent> events) {

        /**
         * The offset event {@code i} is known by: the payload's first record (where a frame that
         * begins in it starts, where to read it again from), but for its last event the last
         * record (where a frame that ends in it ends, what to read after it).
         */
        public long offsetOf(int i) {
            return i == events.size() - 1 ? lastOffset : firstOffset;
        }
    }

    private byte[] buf;
    private int filled;
    private int length;
    private int count;
    private int next = -1;
    private long firstOffset;
    private long expected = -1;

    /**
     * The payload the record at {@code offset} completes, or null: while a fragmented payload is
     * still incomplete, and for a fragment whose payload this joiner did not see begin.
     *
     * @throws FormatException for a payload that cannot be decoded, or fragments that do not fit
     */
    public Joined offer(long offset, ByteBuffer value) {
        if (value != null && value.hasArray()) {
            return offer(offset, value.array(), value.arrayOffset() + value.position(), value.remaining());
        }
        byte[] copy = value == null ? null : new byte[value.remaining()];
        if (copy != null) {
            value.duplicate().get(copy);
        }
        return offer(offset, copy, 0, copy == null ? 0 : copy.length);
    }

    /** {@link #offer(long, ByteBuffer)} for a byte array. */
    public Joined offer(long offset, byte[] value) {
        return offer(offset, value, 0, value == null ? 0 : value.length);
    }

    private Joined offer(long offset, byte[] value, int from, int size) {
        if (pending() && offset != expected) {
            drop(); // a seek: what was gathered is not followed by this record
        }
        expected = offset + 1;
        if (value == null || !Fragments.isFragment(value, from, size)) {
            drop(); // a fragmented payload cut short, if one was gathered: void
            List<ChangeEvent> events = value == null ? EventCodec.decodeAll((byte[]) null)
                    : EventCodec.decodeAll(ByteBuffer.wrap(value, from, size).slice());
            return new Joined(offset, offset, events);
        }
        Fragments.Fragment f = Fragments.read(value, from, size);
        if (f.index() == 0) {
            drop();
            begin(f, offset);
        } else if (!pending()) {
            return null; // its payload began before what this joiner read
        } else if (f.index() != next || f.count() != count || f.length() != length) {
            String expectedWhat = "fragment " + next + " of " + count + " of a " + length + "-byte payload";
            drop();
            throw new FormatException("fragment " + f.index() + " of " + f.count() + " of a " + f.length()
                    + "-byte payload where " + expectedWhat + " was expected");
        }
        if ((long) filled + f.sliceLength() > length) {
            drop();
            throw new FormatException("fragments of a " + length + "-byte payload hold more bytes than that");
        }
        if (filled + f.sliceLength() > buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(length, Math.max((long) buf.length * 2, filled + f.sliceLength())));
        }
        System.arraycopy(f.buf(), f.sliceOffset(), buf, filled, f.sliceLength());
        filled += f.sliceLength();
        next++;
        if (next < count) {
            return null;
        }
        byte[] payload = buf;
        int held = filled;
        int whole = length;
        long first = firstOffset;
        drop();
        if (held != whole) {
            throw new FormatException("the " + count + " fragments of a " + whole + "-byte payload hold " + held + " bytes");
        }
        Fragments.checkJoined(payload);
        try {
            return new Joined(first, offset, EventCodec.decodeAll(payload));
        } catch (FormatException e) {
            throw new FormatException("the payload in records " + first + ".." + offset + ": " + e.getMessage(), e);
        }
    }

    /** Whether fragments of a payload were read and its last one not yet. */
    public boolean pending() {
        return next >= 0;
    }

    /** The offset of the first record of the payload being gathered, or -1 when none is. */
    public long pendingFrom() {
        return pending() ? firstOffset : -1;
    }

    private void begin(Fragments.Fragment f, long offset) {
        buf = new byte[Math.min(f.length(), INITIAL_BYTES)];
        filled = 0;
        length = f.length();
        count = f.count();
        next = 0;
        firstOffset = offset;
    }

    private void drop() {
        buf = null;
        filled = 0;
        next = -1;
    }
}
