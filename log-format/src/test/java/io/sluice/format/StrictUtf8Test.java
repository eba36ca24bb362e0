package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StrictUtf8Test {

    /** A byte with its high bit set at any place of any slice is seen, whatever the slice's length and start. */
    @Test
    void asciiSeesANonAsciiByteAnywhereInTheSlice() {
        for (int offset = 0; offset < 9; offset++) {
            for (int length = 0; length < 40; length++) {
                byte[] bytes = new byte[offset + length + 9];
                Arrays.fill(bytes, (byte) 'a');
                bytes[offset + length] = (byte) 0xC3; // just past the slice: not its business
                if (offset > 0) {
                    bytes[offset - 1] = (byte) 0xA9; // just before it: neither
                }
                assertThat(StrictUtf8.ascii(bytes, offset, length)).as("offset %d, length %d", offset, length).isTrue();
                for (int at = offset; at < offset + length; at++) {
                    byte was = bytes[at];
                    bytes[at] = (byte) 0x80;
                    assertThat(StrictUtf8.ascii(bytes, offset, length)).as("offset %d, length %d, at %d", offset, length, at).isFalse();
                    bytes[at] = was;
                }
            }
        }
    }

    @Test
    void decodeKeepsNonAsciiTextAndRefusesMalformedBytes() {
        byte[] text = "naïve café ⊂ 𝄞".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(StrictUtf8.decode(text, 0, text.length)).isEqualTo("naïve café ⊂ 𝄞");
        byte[] bad = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', (byte) 0xC3};
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StrictUtf8.decode(bad, 0, bad.length))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8");
    }
}
