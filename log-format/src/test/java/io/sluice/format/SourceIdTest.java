package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SourceIdTest {

    @Test
    void nullIsNoIdBeforeOrAfterAValidOne() {
        assertThatThrownBy(() -> SourceId.require(null)).isInstanceOf(IllegalArgumentException.class);
        SourceId.require("shop");
        assertThatThrownBy(() -> SourceId.require(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIdIsCheckedEveryTimeWhateverWasCheckedBefore() {
        String shop = new String("shop_1");
        assertThat(SourceId.require(shop)).isSameAs(shop);
        assertThat(SourceId.require(shop)).as("again, the same instance").isSameAs(shop);
        for (String bad : new String[] {"Shop", "1shop", "", "shop-1", "a".repeat(64), "shop 1"}) {
            assertThatThrownBy(() -> SourceId.require(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid source id");
            assertThat(SourceId.require(new String("shop_1"))).as("a valid id after a refused one").isEqualTo("shop_1");
        }
        assertThatThrownBy(() -> SourceId.require(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(SourceId.require("a".repeat(63))).hasSize(63);
    }
}
