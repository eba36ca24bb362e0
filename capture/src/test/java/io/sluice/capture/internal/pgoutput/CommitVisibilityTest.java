package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitVisibilityTest {

    private static final long EPOCH = 1L << 32;

    @Test
    void aDecodedXidIsTakenInTheEpochThatPutsItNearestTheSnapshotsXmax() {
        assertThat(CommitVisibility.fullXid(700, 750)).as("completed, same epoch").isEqualTo(700);
        assertThat(CommitVisibility.fullXid(750, 750)).as("not completed yet, at xmax").isEqualTo(750);
        assertThat(CommitVisibility.fullXid(760, 750)).as("not completed yet, past xmax").isEqualTo(760);
        assertThat(CommitVisibility.fullXid(5 * EPOCH % EPOCH + 3, 5 * EPOCH + 10)).isEqualTo(5 * EPOCH + 3);
        // Around a wraparound: an xid from just before it, xmax just after, and the reverse.
        assertThat(CommitVisibility.fullXid(0xFFFF_FFF0L, 2 * EPOCH + 20)).as("completed in the epoch before")
                .isEqualTo(2 * EPOCH - 16);
        assertThat(CommitVisibility.fullXid(4, 2 * EPOCH - 16)).as("not completed, in the next epoch")
                .isEqualTo(2 * EPOCH + 4);
    }
}
