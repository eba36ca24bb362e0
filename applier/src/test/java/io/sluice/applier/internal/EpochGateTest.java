package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which records the applier takes, by epoch, on hand-built events and no servers. */
class EpochGateTest {

    private static final Instant AT = Instant.parse("2026-12-04T08:00:00Z");
    private final EpochGate gate = new EpochGate("east", "sluice.shop.stream", Clock.fixed(AT, ZoneOffset.UTC));

    private static ChangeEvent.Begin begin(long epoch) {
        return new ChangeEvent.Begin(new EventHeader("shop", Lsn.parse("0/1000"), 7, AT, 0, epoch));
    }

    private static ChangeEvent.Message marker(long epoch) {
        return new EpochMarker(epoch, "7412345678901234567", "west", AT).toEvent("shop");
    }

    @Test
    void recordsOfTheCurrentOrANewerEpochPassAndOlderOnesAreRefusedAndCounted() {
        gate.reset(1);
        assertThat(gate.refuses(List.of(begin(1)), 10)).isFalse();
        assertThat(gate.refuses(List.of(begin(2)), 11)).as("newer: for marker() to judge").isFalse();
        assertThat(gate.refuses(List.of(begin(0)), 12)).isTrue();
        assertThat(gate.refuses(List.of(new ChangeEvent.Heartbeat(new EventHeader("shop", Lsn.parse("0/2000"), 0, AT, 0, 0))), 13))
                .isTrue();
        assertThat(gate.refused()).isEqualTo(2);
    }

    @Test
    void aNewerEpochsMarkerIsTakenAndAnyOtherEventOfItStopsTheApplier() {
        assertThat(gate.marker(begin(0), 1)).as("the gate's own epoch").isEmpty();
        assertThat(gate.marker(marker(1), 2)).hasValueSatisfying(m -> assertThat(m.follower()).isEqualTo("west"));
        assertThatThrownBy(() -> gate.marker(begin(1), 3)).isInstanceOf(ApplierException.class)
                .hasMessageContaining("before that epoch's promotion marker").hasMessageContaining("sluice.shop.stream-0@3");
        gate.enter(EpochMarker.parse(marker(1).content()), 2);
        assertThat(gate.epoch()).isEqualTo(1);
        assertThat(gate.marker(begin(1), 4)).isEmpty();
        assertThat(gate.marker(marker(1), 5)).as("the same marker again (a second promote run)").isEmpty();
        assertThat(gate.refuses(List.of(begin(0)), 6)).isTrue();
    }

    @Test
    void aMarkerThatCannotBeReadOrContradictsItsEventIsRefusedNamingWhere() {
        ChangeEvent.Message bad = new ChangeEvent.Message(new EventHeader("shop", Lsn.ZERO, 0, AT, 0, 1), false, EpochMarker.PREFIX,
                "epoch=1\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> gate.marker(bad, 9)).isInstanceOf(ApplierException.class)
                .hasMessageContaining("bad epoch marker at sluice.shop.stream-0@9");
        ChangeEvent.Message lying = new ChangeEvent.Message(new EventHeader("shop", Lsn.ZERO, 0, AT, 0, 3), false,
                EpochMarker.PREFIX, new EpochMarker(2, "1", "west", AT).content());
        assertThatThrownBy(() -> gate.marker(lying, 10)).isInstanceOf(ApplierException.class)
                .hasMessageContaining("says epoch 2 in an event of epoch 3");
    }
}
