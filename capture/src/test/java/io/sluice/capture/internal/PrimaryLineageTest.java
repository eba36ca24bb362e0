package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.capture.CaptureException;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrimaryLineageTest {

    /** Timeline 3's history as PostgreSQL writes it: timeline 1 ended at 0/3000060, timeline 2 at 0/5000148. */
    static final String HISTORY_3 = "1\t0/3000060\tno recovery target specified\n\n2\t0/5000148\tno recovery target specified\n";
    static final IntFunction<String> HISTORIES = tli -> {
        if (tli != 3) {
            throw new AssertionError("asked for the history of timeline " + tli);
        }
        return HISTORY_3;
    };
    static final PrimaryLineage ON_2 = new PrimaryLineage("7300000000000000001", 2);

    @Test
    void theSwitchPointOfEachEarlierTimelineIsReadFromTheHistory() {
        assertThat(PrimaryLineage.switchPoint(HISTORY_3, 1)).contains(Lsn.parse("0/3000060"));
        assertThat(PrimaryLineage.switchPoint(HISTORY_3, 2)).contains(Lsn.parse("0/5000148"));
        assertThat(PrimaryLineage.switchPoint(HISTORY_3, 3)).isEmpty();
    }

    @Test
    void aPromotedStandbyThatHasAllTheStreamHoldsContinuesIt() {
        ON_2.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 3), Optional.of(Lsn.parse("0/5000148")), "b", HISTORIES);
        ON_2.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 2), Optional.of(Lsn.parse("9/0")), "a",
                tli -> { throw new AssertionError("the same timeline needs no history"); });
    }

    @Test
    void aPromotedStandbyBehindTheStreamIsRefusedNamingBothPositions() {
        assertThatThrownBy(() -> ON_2.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 3),
                Optional.of(Lsn.parse("0/5000150")), "the primary at b:5432", HISTORIES))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("the primary at b:5432 left timeline 2 at 0/5000148")
                .hasMessageContaining("up to 0/5000150").hasMessageContaining("synchronized_standby_slots");
    }

    @Test
    void anotherClusterAnOlderTimelineOrAnotherBranchIsRefused() {
        assertThatThrownBy(() -> ON_2.checkContinuedBy(new PrimaryLineage("42", 2), Optional.of(Lsn.parse("0/1")), "x", HISTORIES))
                .hasMessageContaining("another database cluster (system identifier 42)");
        assertThatThrownBy(() -> ON_2.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 1), Optional.of(Lsn.parse("0/1")), "x",
                HISTORIES)).hasMessageContaining("timeline 1").hasMessageContaining("failed over from");
        PrimaryLineage on4 = new PrimaryLineage(ON_2.systemId(), 4);
        assertThatThrownBy(() -> on4.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 3), Optional.of(Lsn.parse("0/1")), "x",
                HISTORIES)).hasMessageContaining("failed over from");
        PrimaryLineage onlyOne = new PrimaryLineage(ON_2.systemId(), 1);
        assertThatThrownBy(() -> onlyOne.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 3), Optional.of(Lsn.parse("0/1")), "x",
                tli -> "2\t0/5000148\tbranch of timeline 2 only\n")).hasMessageContaining("does not descend from timeline 1");
    }

    @Test
    void anEmptyStreamNeedsNothingFromThePrimary() {
        ON_2.checkContinuedBy(new PrimaryLineage(ON_2.systemId(), 3), Optional.empty(), "b", HISTORIES);
    }

    @Test
    void theLineageIsKeptInTheStateDirectory(@TempDir Path dir) {
        assertThat(PrimaryLineage.load(dir)).isEmpty();
        ON_2.save(dir);
        assertThat(PrimaryLineage.load(dir)).contains(ON_2);
    }
}
