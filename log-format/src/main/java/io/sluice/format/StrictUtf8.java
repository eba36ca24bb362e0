package io.sluice.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 that refuses what it cannot carry exactly — malformed bytes, an unpaired surrogate —
 * where the JDK's String conversions would put a replacement character in silently. Stateless.
 */
final class StrictUtf8 {

    private StrictUtf8() {
    }

    /** Whether the bytes are all ASCII: their UTF-8 text is then one char per byte. */
    static boolean ascii(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        // Eight bytes at a time: every text value the applier decodes passes here.
        for (; i <= end - Long.BYTES; i += Long.BYTES) {
            if (((long) LONGS.get(bytes, i) & HIGH_BITS) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    /** The text {@code length} bytes from {@code offset} encode; throws {@link IllegalArgumentException} if they are not UTF-8. */
    static String decode(byte[] bytes, int offset, int length) {
        if (ascii(bytes, offset, length)) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid UTF-8", e);
        }
    }

    /** The text's UTF-8 bytes; throws {@link IllegalArgumentException} for an unpaired surrogate. */
    static ByteBuffer encode(String s) {
        try {
            return StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid Unicode (an unpaired surrogate), so it has no UTF-8 form: "
                    + e.getMessage(), e);
        }
    }
}
