package io.sluice.format;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Encodes and decodes {@link ChangeEvent}s (see {@code log-format/FORMAT.md}).
 *
 * <p>The encoder writes {@link #CURRENT_VERSION} unless asked for another version. The decoder
 * reads every version in {@link #SUPPORTED_VERSIONS}, telling them apart by the first byte: a
 * version 1 payload is a JSON object, a later version's payload starts with the byte
 * {@code 0x00} and its version byte. A payload of another version, a truncated or malformed
 * payload, or one of an illegal shape is rejected with a {@link FormatException} that names what
 * and where. Stateless and thread-safe.
 */
public final class EventCodec {

    /** The version {@link #encode(ChangeEvent)} writes: 2, binary. */
    public static final int CURRENT_VERSION = BinaryCodec.VERSION;
    /** The versions this codec reads and writes: 1 (JSON) and 2 (binary). */
    public static final List<Integer> SUPPORTED_VERSIONS = List.of(JsonCodec.VERSION, BinaryCodec.VERSION);

    private EventCodec() {
    }

    /** Encodes an event in the current version. */
    public static byte[] encode(ChangeEvent event) {
        return BinaryCodec.encode(event);
    }

    /**
     * Encodes an event in the given version: 1 for JSON (readable with any Kafka tool), 2 for the
     * compact binary form.
     *
     * @throws IllegalArgumentException for a version this codec does not write, or a value the
     *                                  version cannot hold (text that is not valid Unicode in
     *                                  version 2, a time finer than a microsecond)
     */
    public static byte[] encode(ChangeEvent event, int version) {
        return switch (version) {
            case JsonCodec.VERSION -> JsonCodec.encode(event);
            case BinaryCodec.VERSION -> BinaryCodec.encode(event);
            default -> throw new IllegalArgumentException("no format version " + version + " (this codec writes "
                    + SUPPORTED_VERSIONS + ")");
        };
    }

    /**
     * Decodes one payload.
     *
     * @throws FormatException if the payload is not a whole, valid event of a supported version
     */
    public static ChangeEvent decode(byte[] payload) {
        return payload == null ? decode(null, 0, 0) : decode(payload, 0, payload.length);
    }

    /**
     * Decodes one payload from a buffer without copying it when it is backed by an array (as
     * Kafka's record buffers are); the buffer's position is not changed.
     *
     * @throws FormatException if the payload is not a whole, valid event of a supported version
     */
    public static ChangeEvent decode(ByteBuffer payload) {
        if (payload == null) {
            return decode(null, 0, 0);
        }
        if (payload.hasArray()) {
            return decode(payload.array(), payload.arrayOffset() + payload.position(), payload.remaining());
        }
        byte[] copy = new byte[payload.remaining()];
        payload.duplicate().get(copy);
        return decode(copy, 0, copy.length);
    }

    private static ChangeEvent decode(byte[] payload, int offset, int length) {
        if (payload == null || length == 0) {
            throw new FormatException("empty payload: expected a version 1 JSON object or a binary payload starting 0x00");
        }
        if (payload[offset] != BinaryCodec.MAGIC) {
            return JsonCodec.decode(payload, offset, length);
        }
        if (length < 2) {
            throw new FormatException("truncated payload: it ends at byte 1, before the format version");
        }
        int version = payload[offset + 1] & 0xFF;
        if (version != BinaryCodec.VERSION) {
            throw unsupported(version);
        }
        return BinaryCodec.decode(payload, offset, length);
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
