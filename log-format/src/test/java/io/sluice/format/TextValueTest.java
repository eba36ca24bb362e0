package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A text held as UTF-8 bytes and one made from a String are the same value. */
class TextValueTest {

    private static final List<String> TEXTS = List.of("", "plain ascii", "tab\there", "naïve", "日本語", "emoji 😀", "\u0000x");

    private static Value.Text bytes(String s) {
        return Value.Text.ofUtf8(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTextHeldAsBytesEqualsTheSameTextFromAStringAndHashesAlike() {
        for (String s : TEXTS) {
            Value.Text fromBytes = bytes(s);
            Value.Text fromString = new Value.Text(s);
            assertThat(fromBytes.value()).isEqualTo(s);
            assertThat(fromBytes).isEqualTo(fromString).isEqualTo(bytes(s));
            assertThat(fromString).isEqualTo(fromBytes);
            assertThat(fromBytes.hashCode()).as(s).isEqualTo(fromString.hashCode()).isEqualTo(s.hashCode());
            assertThat(fromBytes.toString()).isEqualTo(fromString.toString());
            assertThat(fromBytes.heldAsUtf8()).isTrue();
            assertThat(fromString.heldAsUtf8()).isFalse();
            assertThat(utf8(fromString)).isEqualTo(utf8(fromBytes)).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(bytes("a")).isNotEqualTo(bytes("b")).isNotEqualTo(new Value.Text("b"));
    }

    @Test
    void bytesThatAreNotUtf8AreRefused() {
        for (byte[] bad : List.of(new byte[] {(byte) 0xC3}, new byte[] {(byte) 0xFF, 'a'}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})) {
            assertThatThrownBy(() -> Value.Text.ofUtf8(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not valid UTF-8");
        }
        assertThatThrownBy(() -> new Value.Text("\uD800").utf8()).hasMessageContaining("unpaired surrogate");
    }

    @Test
    void theUtf8ViewCannotChangeTheValue() {
        Value.Text t = bytes("keep");
        assertThat(t.utf8().isReadOnly()).isTrue();
    }

    @Test
    void bothFormsEncodeToTheSameBytesAndDecodeToAnEqualValue() {
        for (String s : TEXTS) {
            EventHeader h = new EventHeader("src", new Lsn(16), 7, Instant.EPOCH, 0);
            TableId t = new TableId("public", "t");
            byte[] fromString = EventCodec.encode(new ChangeEvent.Insert(h, t, List.of(), Map.of("c", new Value.Text(s))));
            byte[] fromBytes = EventCodec.encode(new ChangeEvent.Insert(h, t, List.of(), Map.of("c", bytes(s))));
            assertThat(fromBytes).isEqualTo(fromString);
            ChangeEvent.Insert back = (ChangeEvent.Insert) EventCodec.decode(fromBytes);
            assertThat(back.after().get("c")).isEqualTo(new Value.Text(s));
            assertThat(((Value.Text) back.after().get("c")).heldAsUtf8()).isTrue();
        }
    }

    private static byte[] utf8(Value.Text t) {
        ByteBuffer b = t.utf8();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
