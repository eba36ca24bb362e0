package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ConsistencyTokenTest {

    @Property
    void shouldRoundTripThroughHeaderSafeText(@ForAll("tokens") ConsistencyToken token) {
        String text = token.toString();
        assertThat(text).matches("[A-Za-z0-9_.]+");
        assertThat(ConsistencyToken.parse(text)).isEqualTo(token);
    }

    @Provide
    Arbitrary<ConsistencyToken> tokens() {
        return net.jqwik.api.Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20),
                Arbitraries.longs().between(1, Long.MAX_VALUE),
                Arbitraries.longs())
                .as((s, xid, lsn) -> new ConsistencyToken(s, xid, new Lsn(lsn)));
    }

    @Test
    void shouldCompareWithTheStreamByTheXidsLow32Bits() {
        // An xid8 past the first wraparound (epoch 3) carries xid 7431 in the stream.
        ConsistencyToken t = new ConsistencyToken("shop", (3L << 32) | 7431, new Lsn(0x1A2B3C4DL));
        assertThat(t.streamXid()).isEqualTo(7431L);
        assertThat(ConsistencyToken.streamXid(0xFFFF_FFFFL)).isEqualTo(0xFFFF_FFFFL);
        assertThat(ConsistencyToken.streamXid(1L << 32)).isZero();
    }

    @Test
    void shouldRejectMalformedTokensSayingWhichPart() {
        assertThatThrownBy(() -> ConsistencyToken.parse("v2.shop.1.0000000000000001"))
                .hasMessageContaining("unknown token version");
        assertThatThrownBy(() -> ConsistencyToken.parse("v1.Shop!.1.0000000000000001"))
                .hasMessageContaining("source 'Shop!'");
        assertThatThrownBy(() -> ConsistencyToken.parse("v1.shop.x1.0000000000000001"))
                .hasMessageContaining("xid 'x1'");
        assertThatThrownBy(() -> ConsistencyToken.parse("v1.shop.1.01"))
                .hasMessageContaining("lsn '01' must be 16 hexadecimal digits");
        assertThatThrownBy(() -> ConsistencyToken.parse("v1.shop.1"))
                .hasMessageContaining("expected 3 parts");
        assertThatThrownBy(() -> ConsistencyToken.parse("v1.shop.1.0000000000000001\r\nX-Evil: 1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("\r");
    }
}
