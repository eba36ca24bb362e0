package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** How many source transactions share a follower transaction, with no servers. */
class GroupSizingTest {

    @Test
    void theLimitStartsSmallDoublesWithEveryFullGroupUpToTheMaximumAndStartsSmallAgainWhenCaughtUp() {
        GroupSizing sizing = new GroupSizing(5000, 50_000);
        assertThat(sizing.limit()).isEqualTo(250);
        int[] expected = {500, 1000, 2000, 4000, 5000, 5000};
        for (int limit : expected) {
            assertThat(sizing.full(sizing.limit() - 1, 0, 10)).isFalse();
            assertThat(sizing.full(sizing.limit(), 0, 10)).isTrue();
            sizing.filled();
            assertThat(sizing.limit()).isEqualTo(limit);
        }
        sizing.caughtUp();
        assertThat(sizing.limit()).isEqualTo(250);
    }

    @Test
    void aMaximumBelowTheFirstLimitIsTheLimit() {
        GroupSizing sizing = new GroupSizing(10, 50_000);
        assertThat(sizing.limit()).isEqualTo(10);
        sizing.filled();
        assertThat(sizing.limit()).isEqualTo(10);
    }

    @Test
    void aGroupIsFullAtTheMostRowEventsWhateverItsTransactions() {
        GroupSizing sizing = new GroupSizing(5000, 100);
        assertThat(sizing.full(1, 99, 0)).isFalse();
        assertThat(sizing.full(1, 100, 0)).isTrue();
    }

    @Test
    void upToAnOffsetAFailureAskedForEverySourceTransactionIsAGroupOfItsOwn() {
        GroupSizing sizing = new GroupSizing(5000, 50_000);
        sizing.onePerGroupThrough(40);
        sizing.onePerGroupThrough(30); // an earlier failure's offset does not shorten it
        assertThat(sizing.full(1, 1, 40)).isTrue();
        assertThat(sizing.full(1, 1, 41)).isFalse();
        assertThat(sizing.onePerGroupAt(40)).isTrue();
        assertThat(sizing.onePerGroupAt(41)).isFalse();
    }

    @Test
    void limitsBelowOneAreRefused() {
        assertThatThrownBy(() -> new GroupSizing(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
