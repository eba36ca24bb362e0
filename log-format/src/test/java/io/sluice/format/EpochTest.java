package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The epoch an event was captured in, through every encoding, and the promotion marker. */
class EpochTest {

    private static final Instant AT = Instant.parse("2026-12-04T08:00:00.123456Z");

    @Test
    void everyEncodingCarriesTheEpochAndZeroIsTheDefault() {
        for (ChangeEvent e : GoldenEvents.v1().values()) {
            ChangeEvent later = e.withHeader(e.header().withEpoch(7));
            assertThat(EventCodec.decode(EventCodec.encode(later, JsonCodec.VERSION)).header().epoch()).as("json %s", e.kind()).isEqualTo(7);
            assertThat(EventCodec.decode(BinaryCodec.encode(later)).header().epoch()).as("binary %s", e.kind()).isEqualTo(7);
            assertThat(EventCodec.decode(BinaryCodec.encode(e)).header().epoch()).as("binary %s", e.kind()).isZero();
            assertThat(EventCodec.decode(EventCodec.encode(e, JsonCodec.VERSION)).header().epoch()).as("json %s", e.kind()).isZero();
        }
    }

    @Test
    void aRunsEpochIsWrittenOnceAndHoldsForEveryEventOfIt() {
        Map<String, ChangeEvent> one = GoldenEvents.v1();
        EventHeader begin = one.get("begin").header().withEpoch(3);
        RunEncoder run = new RunEncoder();
        run.add(new ChangeEvent.Begin(begin));
        run.add(one.get("insert").withHeader(begin.withSeq(1).withEpoch(0))); // only the first event's counts
        List<ChangeEvent> back = EventCodec.decodeAll(run.finish());
        assertThat(back).extracting(e -> e.header().epoch()).containsExactly(3L, 3L);

        // A run that continues a frame carries the epoch on its own first event.
        RunEncoder rest = new RunEncoder();
        rest.add(one.get("insert").withHeader(begin.withSeq(1)));
        assertThat(EventCodec.decodeAll(rest.finish()).get(0).header().epoch()).isEqualTo(3);
    }

    @Test
    void anEpochFieldThatIsNotOneVarintIsRefused() {
        ChangeEvent hb = GoldenEvents.v1().get("heartbeat");
        byte[] good = BinaryCodec.encode(hb.withHeader(hb.header().withEpoch(1)));
        // The last three bytes are: field number 1, length 1, value 1. Claim two bytes of value.
        byte[] bad = java.util.Arrays.copyOf(good, good.length + 1);
        bad[good.length - 2] = 2;
        bad[good.length - 1] = (byte) 0x81;
        bad[good.length] = 0x01;
        assertThat(EventCodec.decode(bad).header().epoch()).as("a two-byte varint is still one varint").isEqualTo(129);
        bad[good.length - 2] = 2;
        bad[good.length - 1] = 0x01;
        assertThatThrownBy(() -> EventCodec.decode(bad)).isInstanceOf(FormatException.class).hasMessageContaining("epoch");
    }

    @Test
    void theMarkerSurvivesTheCodecAndItsRecordIsCompletedLater() {
        EpochMarker m = new EpochMarker(2, "7412345678901234567", "east-1", AT);
        ChangeEvent.Message event = m.toEvent("shop");
        assertThat(EpochMarker.is(event)).isTrue();
        ChangeEvent back = EventCodec.decodeAll(runOf(event)).get(0);
        assertThat(back.header().epoch()).isEqualTo(2);
        assertThat(EpochMarker.parse(((ChangeEvent.Message) back).content())).isEqualTo(m);
        EpochMarker done = m.completed(4711, Lsn.parse("0/5A0000"), Lsn.parse("0/3000060"));
        assertThat(EpochMarker.parse(done.content())).isEqualTo(done);
    }

    @Test
    void aBadMarkerIsRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> EpochMarker.parse("epoch=1\nfollower=a\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FormatException.class).hasMessageContaining("primary_system_id");
        assertThatThrownBy(() -> EpochMarker.parse(("epoch=0\nprimary_system_id=1\nfollower=a\npromoted_at=" + AT)
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class).hasMessageContaining("epoch 1 or later");
        assertThatThrownBy(() -> EpochMarker.parse(("epoch=1\nprimary_system_id=1; DROP\nfollower=a\npromoted_at=" + AT)
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class).hasMessageContaining("not a number");
    }

    @Test
    void sequenceStateSurvivesTheCodecAndRefusesWhatItCannotHold() {
        List<SequenceState.Sequence> list = new ArrayList<>();
        list.add(new SequenceState.Sequence("public", "orders_id_seq", "bigint", 1, 1, Long.MAX_VALUE, 1, false, 1, 41L,
                new TableId("public", "orders"), "id", null));
        list.add(new SequenceState.Sequence("a \"b\"", "down", "integer", -1, Integer.MIN_VALUE, -1, -5, true, 20, null,
                null, null, null));
        list.add(new SequenceState.Sequence("public", "t_id_seq", "smallint", 1, 1, Short.MAX_VALUE, 1, false, 1, 3L,
                new TableId("public", "t"), "id", "a"));
        SequenceState s = new SequenceState(list);
        assertThat(SequenceState.parse(s.content())).isEqualTo(s);
        assertThatThrownBy(() -> SequenceState.parse("[{\"schema\":\"s\",\"name\":\"n\",\"type\":\"text\"}]"
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class).hasMessageContaining("type 'text'");
        assertThatThrownBy(() -> SequenceState.parse(("[{\"schema\":\"s\",\"name\":\"n\",\"type\":\"bigint\",\"increment\":1,"
                + "\"last_value\":99999999999999999999}]").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FormatException.class).hasMessageContaining("64-bit");
        assertThatThrownBy(() -> SequenceState.parse("{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class);
    }

    private static byte[] runOf(ChangeEvent e) {
        RunEncoder r = new RunEncoder();
        r.add(e);
        return r.finish();
    }
}
