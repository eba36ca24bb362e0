package io.sluice.format;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Encodes and decodes {@link ChangeEvent}s (see {@code log-format/FORMAT.md}).
 *
 * <p>{@link #encode(ChangeEvent)} writes one event in version 2; capture writes runs of events in
 * version 3 ({@link RunEncoder}). The decoder reads every version in {@link #SUPPORTED_VERSIONS},
 * telling them apart by the first byte: a version 1 payload is a JSON object, a later version's
 * payload starts with the byte {@code 0x00} and its version byte. {@link #decodeAll} reads a
 * payload of any version as the events it holds; {@link #decode} expects exactly one. A payload of
 * another version, a truncated or malformed payload, or one of an illegal shape is rejected with a
 * {@link FormatException} that names what and where. Stateless and thread-safe.
 */
public final class EventCodec {

    /** The version capture writes: 3, runs of events ({@link RunEncoder}). */
    public static final int CURRENT_VERSION = BinaryCodec.RUN_VERSION;
    /**
     * The payload versions this codec reads and writes: 1 (JSON), 2 (binary, one event), 3 (binary, a
     * run of events). Version 4 is a fragment of a longer payload of one of them ({@link Fragments}),
     * which {@link RecordJoiner} puts back together.
     */
    public static final List<Integer> SUPPORTED_VERSIONS = List.of(JsonCodec.VERSION, BinaryCodec.VERSION,
            BinaryCodec.RUN_VERSION);

    private EventCodec() {
    }

    /** Encodes one event in version 2 (binary), which every current consumer reads. */
    public static byte[] encode(ChangeEvent event) {
        return BinaryCodec.encode(event);
    }

    /**
     * Encodes an event in the given version: 1 for JSON (readable with any Kafka tool), 2 for the
     * compact binary form, 3 for a run of this one event.
     *
     * @throws IllegalArgumentException for a version this codec does not write, or a value the
     *                                  version cannot hold (text that is not valid Unicode in
     *                                  version 2, a time finer than a microsecond)
     */
    public static byte[] encode(ChangeEvent event, int version) {
        return switch (version) {
            case JsonCodec.VERSION -> JsonCodec.encode(event);
            case BinaryCodec.VERSION -> BinaryCodec.encode(event);
            case BinaryCodec.RUN_VERSION -> {
                RunEncoder run = new RunEncoder();
                run.add(event);
                yield run.finish();
            }
            default -> throw new IllegalArgumentException("no format version " + version + " (this codec writes "
                    + SUPPORTED_VERSIONS + ")");
        };
    }

    /**
     * Decodes a payload that holds one event.
     *
     * @throws FormatException if the payload is not a whole, valid event of a supported version, or
     *                         is a run of more than one event
     */
    public static ChangeEvent decode(byte[] payload) {
        return payload == null ? single(decodeAll(null, 0, 0)) : single(decodeAll(payload, 0, payload.length));
    }

    /**
     * Decodes a payload that holds one event from a buffer; see {@link #decodeAll(ByteBuffer)}.
     *
     * @throws FormatException if the payload is not a whole, valid event of a supported version, or
     *                         is a run of more than one event
     */
    public static ChangeEvent decode(ByteBuffer payload) {
        return single(decodeAll(payload));
    }

    /**
     * Decodes the events of one payload of any version, in stream order: one for versions 1 and 2,
     * a run of one or more for version 3. A fragment (version 4) is refused: a stream's records are
     * read through {@link RecordJoiner}. Reads a buffer backed by an array (as Kafka's record
     * buffers are) without copying it; the buffer's position is not changed.
     *
     * @throws FormatException if the payload is not whole and valid in a supported version
     */
    public static List<ChangeEvent> decodeAll(ByteBuffer payload) {
        if (payload == null) {
            return decodeAll(null, 0, 0);
        }
        if (payload.hasArray()) {
            return decodeAll(payload.array(), payload.arrayOffset() + payload.position(), payload.remaining());
        }
        byte[] copy = new byte[payload.remaining()];
        payload.duplicate().get(copy);
        return decodeAll(copy, 0, copy.length);
    }

    /** {@link #decodeAll(ByteBuffer)} for a byte array. */
    public static List<ChangeEvent> decodeAll(byte[] payload) {
        return payload == null ? decodeAll(null, 0, 0) : decodeAll(payload, 0, payload.length);
    }

    private static List<ChangeEvent> decodeAll(byte[] payload, int offset, int length) {
        if (payload == null || length == 0) {
            throw new FormatException("empty payload: expected a version 1 JSON object or a binary payload starting 0x00");
        }
        if (payload[offset] != BinaryCodec.MAGIC) {
            return List.of(JsonCodec.decode(payload, offset, length));
        }
        if (length < 2) {
            throw new FormatException("truncated payload: it ends at byte 1, before the format version");
        }
        int version = payload[offset + 1] & 0xFF;
        return switch (version) {
            case BinaryCodec.VERSION -> List.of(BinaryDecoder.decode(payload, offset, length));
            case BinaryCodec.RUN_VERSION -> BinaryDecoder.decodeRun(payload, offset, length);
            case Fragments.VERSION -> throw new FormatException("a fragment of a payload written across several records"
                    + " (version 4): read the stream's records through RecordJoiner, which joins them");
            default -> throw unsupported(version);
        };
    }

    private static ChangeEvent single(List<ChangeEvent> events) {
        if (events.size() != 1) {
            throw new FormatException("a run of " + events.size() + " events where one event was expected (read it with decodeAll)");
        }
        return events.get(0);
    }

    static FormatException unsupported(int version) {
        return new FormatException("unsupported format version " + version + " (this reader supports "
                + SUPPORTED_VERSIONS + "): upgrade the consumer before the producer writes a newer version");
    }

    static long toMicros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    static Instant fromMicros(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }
}
