package io.sluice.applier.internal;

import static io.sluice.applier.internal.FrameReader.Step.APPLY;
import static io.sluice.applier.internal.FrameReader.Step.BEGAN;
import static io.sluice.applier.internal.FrameReader.Step.BETWEEN;
import static io.sluice.applier.internal.FrameReader.Step.CUT_SHORT;
import static io.sluice.applier.internal.FrameReader.Step.ENDED;
import static io.sluice.applier.internal.FrameReader.Step.SKIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.FrameReader.Step;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the applier reads events into frames, on hand-built event sequences and no servers. */
class FrameReaderTest {

    private static final Instant AT = Instant.parse("2026-12-04T10:00:00Z");
    private static final TableId T = new TableId("public", "t");

    private FrameReader reader = new FrameReader("sluice.shop.stream-0", Optional.empty());

    private static EventHeader header(String lsn, long xid) {
        return new EventHeader("shop", Lsn.parse(lsn), xid, AT, 0);
    }

    private static ChangeEvent.Begin begin(String lsn) {
        return new ChangeEvent.Begin(header(lsn, xid(lsn)));
    }

    private static ChangeEvent.Insert insert(String lsn, long id) {
        return new ChangeEvent.Insert(header(lsn, xid(lsn)), T, List.of("id"), Map.of("id", new Value.Int(id)));
    }

    private static ChangeEvent.Commit commit(String lsn, long events) {
        return new ChangeEvent.Commit(header(lsn, xid(lsn)), events);
    }

    private static ChangeEvent.Heartbeat heartbeat(String lsn) {
        return new ChangeEvent.Heartbeat(header(lsn, 0));
    }

    private static long xid(String lsn) {
        return Lsn.parse(lsn).value() >> 8;
    }

    /**
     * Reads {@code events} at offsets {@code from}, {@code from + 1}, … and returns each step; stops
     * at a cut, as the applier does (it rolls back and seeks).
     */
    private List<Step> read(long from, ChangeEvent... events) {
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < events.length && !steps.contains(CUT_SHORT); i++) {
            steps.add(reader.read(events[i], from + i));
        }
        return steps;
    }

    @Test
    void aWholeFrameIsAppliedAndEndsWithItsCommitAndHeartbeatsFallBetweenFrames() {
        assertThat(read(0, heartbeat("0/900"), begin("0/1000"), insert("0/1000", 1), insert("0/1000", 2),
                commit("0/1000", 2), heartbeat("0/1100")))
                .containsExactly(BETWEEN, BEGAN, APPLY, APPLY, ENDED, BETWEEN);
        FrameReader.FrameEnd end = reader.ended();
        assertThat(end.commitLsn()).isEqualTo(Lsn.parse("0/1000"));
        assertThat(end.xid()).isEqualTo(xid("0/1000"));
        assertThat(end.offset()).isEqualTo(4);
        assertThat(end.skipped()).isFalse();
    }

    @Test
    void framesAtOrBelowTheWatermarkOrTheLastFrameEndedAreDuplicatesAndSkipped() {
        reader.restart(Lsn.parse("0/2000"));
        assertThat(read(0, begin("0/1000"), insert("0/1000", 1), commit("0/1000", 1),
                begin("0/2000"), insert("0/2000", 2), commit("0/2000", 1)))
                .containsExactly(SKIP, SKIP, SKIP, SKIP, SKIP, SKIP);
        assertThat(read(6, begin("0/3000"), insert("0/3000", 3), commit("0/3000", 1)))
                .containsExactly(BEGAN, APPLY, ENDED);
        assertThat(read(9, begin("0/3000"), insert("0/3000", 3), commit("0/3000", 1)))
                .as("the same transaction written again by a capture that restarted").containsExactly(SKIP, SKIP, SKIP);
    }

    @Test
    void aFrameCutShortIsVoidAndReadAgainItIsSkippedWhileTheResentTransactionIsApplied() {
        // A capture died after writing BEGIN and one row; restarted, it wrote the whole transaction again.
        ChangeEvent[] stream = {begin("0/1000"), insert("0/1000", 1), begin("0/1000"), insert("0/1000", 1),
            insert("0/1000", 2), commit("0/1000", 2)};
        assertThat(read(0, stream)).containsExactly(BEGAN, APPLY, CUT_SHORT);
        assertThat(reader.cutOffset()).isZero();
        assertThat(reader.cutWhy()).contains("(offset 0) was cut short").contains("a new BEGIN at offset 2");

        reader.restart(null); // the applier rolled back and reads again from the frame
        assertThat(read(0, stream)).as("the void frame skipped, and dropped without another rewind at the next BEGIN")
                .containsExactly(SKIP, SKIP, BEGAN, APPLY, APPLY, ENDED);
        assertThat(reader.ended().offset()).isEqualTo(5);
    }

    @Test
    void aHeartbeatOrAnInterruptionInsideAFrameCutsItShort() {
        assertThat(read(0, begin("0/1000"), insert("0/1000", 1), heartbeat("0/1000"))).containsExactly(BEGAN, APPLY, CUT_SHORT);
        assertThat(reader.cutWhy()).contains("a heartbeat at offset 2");
        reader.restart(null);
        assertThat(reader.interrupt("nothing open")).isFalse();
        assertThat(read(3, begin("0/2000"))).containsExactly(BEGAN);
        assertThat(reader.inFrame()).isTrue();
        assertThat(reader.interrupt("an epoch marker at offset 4")).isTrue();
        assertThat(reader.cutOffset()).isEqualTo(3);
        assertThat(reader.inFrame()).isFalse();
    }

    @Test
    void aCommitAnnouncingAnotherNumberOfEventsThanItsFrameCarriedStopsTheApplierNamingWhere() {
        read(0, begin("0/1000"), insert("0/1000", 1));
        assertThatThrownBy(() -> reader.read(commit("0/1000", 2), 2)).isInstanceOf(ApplierException.class)
                .hasMessageContaining("announces 2 events but carried 1").hasMessageContaining("sluice.shop.stream-0@2");
    }

    @Test
    void aChangeWithoutItsBeginIsTheTailOfAnAppliedFrameOrStopsTheApplier() {
        reader.restart(Lsn.parse("0/1000"));
        assertThat(read(0, insert("0/1000", 1), commit("0/1000", 1))).containsExactly(SKIP, SKIP);
        assertThatThrownBy(() -> reader.read(insert("0/2000", 2), 2)).isInstanceOf(ApplierException.class)
                .hasMessageContaining("whose BEGIN was never read").hasMessageContaining("sluice.shop.stream-0@2");
    }

    @Test
    void theOperatorsSkipEndsLikeAnAppliedFrameWithNoneOfItsChanges() {
        reader = new FrameReader("sluice.shop.stream-0", Optional.of(Lsn.parse("0/2000")));
        assertThat(reader.read(begin("0/2000"), 0)).isEqualTo(BEGAN);
        assertThat(reader.operatorSkipping()).isTrue();
        assertThat(read(1, insert("0/2000", 1), commit("0/2000", 1))).containsExactly(SKIP, ENDED);
        assertThat(reader.ended().skipped()).isTrue();
        assertThat(read(3, begin("0/3000"), insert("0/3000", 2), commit("0/3000", 1))).containsExactly(BEGAN, APPLY, ENDED);
        assertThat(reader.ended().skipped()).isFalse();
    }

    @Test
    void aHugeTransactionIsCountedWholeAcrossItsChanges() {
        int n = 200_000;
        assertThat(reader.read(begin("5/0"), 0)).isEqualTo(BEGAN);
        for (int i = 1; i <= n; i++) {
            assertThat(reader.read(insert("5/0", i), i)).isEqualTo(APPLY);
        }
        assertThat(reader.where()).contains("xid " + xid("5/0"));
        assertThat(reader.read(commit("5/0", n), n + 1)).isEqualTo(ENDED);
    }
}
