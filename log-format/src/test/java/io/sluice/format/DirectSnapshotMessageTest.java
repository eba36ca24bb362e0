package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirectSnapshotMessageTest {

    private static final EventHeader HEADER = new EventHeader("shop", Lsn.parse("0/16B3748"), 731, Instant.EPOCH, 4);

    @Test
    void theMarkerNamesItsFollowersAndSurvivesTheCodec() {
        ChangeEvent.Message m = new DirectSnapshotMessage(List.of("east", "west-2")).toEvent(HEADER);
        assertThat(DirectSnapshotMessage.is(m)).isTrue();
        ChangeEvent back = EventCodec.decode(EventCodec.encode(m));
        assertThat(DirectSnapshotMessage.parse(((ChangeEvent.Message) back).content()).followers()).containsExactly("east", "west-2");
    }

    @Test
    void otherMessagesAreNotMarkers() {
        assertThat(DirectSnapshotMessage.is(new ChangeEvent.Message(HEADER, true, DdlMessage.PREFIX, new byte[0]))).isFalse();
        assertThat(DirectSnapshotMessage.is(new ChangeEvent.Message(HEADER, false, DirectSnapshotMessage.PREFIX,
                "east".getBytes(StandardCharsets.UTF_8)))).as("a non-transactional one").isFalse();
    }

    @Test
    void aMarkerWithoutAFollowerIsRefused() {
        assertThatThrownBy(() -> DirectSnapshotMessage.parse(new byte[0])).isInstanceOf(FormatException.class)
                .hasMessageContaining("sluice.snapshot.direct").hasMessageContaining("empty");
        assertThatThrownBy(() -> DirectSnapshotMessage.parse("east\n\nwest".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FormatException.class);
    }
}
