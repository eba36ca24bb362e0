package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void shouldParseAndFormatLikePostgres() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.value()).isEqualTo(0x16B374D848L);
        assertThat(lsn).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.ZERO);
        assertThat(Lsn.parse("ffffffff/ffffffff").value()).isEqualTo(-1L);
    }

    @Test
    void shouldCompareUnsigned() {
        Lsn high = Lsn.parse("FFFFFFFF/0");
        Lsn low = Lsn.parse("7FFFFFFF/FFFFFFFF");
        assertThat(high).isGreaterThan(low);
        assertThat(high.isAfter(low)).isTrue();
        assertThat(low.isAtOrBefore(high)).isTrue();
        assertThat(Lsn.parse("1/10").minus(Lsn.parse("1/0"))).isEqualTo(16);
    }

    @Test
    void laterAndEarlierCompareUnsignedAndLaterTakesAMissingPositionAsNone() {
        Lsn high = Lsn.parse("FFFFFFFF/0");
        Lsn low = Lsn.parse("7FFFFFFF/FFFFFFFF");
        assertThat(Lsn.later(low, high)).isEqualTo(high);
        assertThat(Lsn.later(high, low)).isEqualTo(high);
        assertThat(Lsn.earlier(high, low)).isEqualTo(low);
        assertThat(Lsn.earlier(low, high)).isEqualTo(low);
        assertThat(Lsn.later(null, low)).isEqualTo(low);
        assertThat(Lsn.later(low, null)).isEqualTo(low);
        assertThat(Lsn.later(null, null)).isNull();
    }

    @Test
    void shouldRejectMalformedInputNamingIt() {
        for (String bad : new String[] {"", "16", "16/", "/1", "1/2/3", "G/1", "1/123456789", " 1/2", "1/-2"}) {
            assertThatThrownBy(() -> Lsn.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("malformed LSN '" + bad + "'");
        }
        assertThatThrownBy(() -> Lsn.parse(null)).hasMessageContaining("LSN is null");
    }
}
