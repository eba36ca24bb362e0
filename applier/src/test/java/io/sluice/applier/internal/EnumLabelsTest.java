package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.internal.EnumLabels.Addition;
import io.sluice.applier.internal.EnumLabels.Rename;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a follower's enum labels are matched to the primary's: pure, no server. */
class EnumLabelsTest {

    @Test
    void theSameLabelsNeedNothing() {
        assertThat(EnumLabels.plan(List.of("sad", "ok", "happy"), List.of("sad", "ok", "happy"), true).empty()).isTrue();
    }

    @Test
    void addedLabelsGoWhereThePrimaryPutThem() {
        EnumLabels.Plan p = EnumLabels.plan(List.of("sad", "happy"), List.of("awful", "sad", "meh", "ok", "happy", "great"), true);
        assertThat(p.renames()).isEmpty();
        assertThat(p.additions()).containsExactly(new Addition("awful", "sad"), new Addition("meh", "happy"),
                new Addition("ok", "happy"), new Addition("great", null));
    }

    @Test
    void aLabelOnlyTheFollowerHasWasRenamedInPlace() {
        EnumLabels.Plan p = EnumLabels.plan(List.of("sad", "ok", "happy"), List.of("sad", "fine", "happy", "great"), true);
        assertThat(p.renames()).containsExactly(new Rename("ok", "fine"));
        assertThat(p.additions()).containsExactly(new Addition("great", null));
        assertThat(EnumLabels.plan(List.of("a", "b"), List.of("x", "y"), true).renames())
                .containsExactly(new Rename("a", "x"), new Rename("b", "y"));
    }

    @Test
    void aListReadAheadOfTheStreamOnlyAdds() {
        EnumLabels.Plan p = EnumLabels.plan(List.of("sad", "ok", "happy"), List.of("sad", "fine", "happy"), false);
        assertThat(p.renames()).isEmpty();
        assertThat(p.additions()).containsExactly(new Addition("fine", "happy"));
        assertThat(EnumLabels.plan(List.of("a", "b", "c"), List.of("a", "c"), false).empty()).isTrue();
    }

    @Test
    void labelsThatCannotBeMatchedAreRefusedSayingWhere() {
        assertThatThrownBy(() -> EnumLabels.plan(List.of("sad", "ok", "happy"), List.of("sad", "fine", "new", "happy"), true))
                .hasMessageContaining("[ok] before happy").hasMessageContaining("[fine, new]");
        assertThatThrownBy(() -> EnumLabels.plan(List.of("a", "b"), List.of("b", "a"), false))
                .hasMessageContaining("different order");
        assertThatThrownBy(() -> EnumLabels.plan(List.of("a", "b", "c", "d"), List.of("a", "x", "y", "z", "d"), true))
                .hasMessageContaining("[b, c] before d").hasMessageContaining("[x, y, z]");
    }

    /** A list read ahead of the stream gave the follower labels that a list as of its place lacks: they stay. */
    @Test
    void labelsTheFollowerHasAndThePrimaryHasNotYetAddedStay() {
        assertThat(EnumLabels.plan(List.of("a", "b", "c"), List.of("a", "c"), true).empty()).isTrue();
        assertThat(EnumLabels.plan(List.of("sad", "meh", "ok", "happy"), List.of("sad", "ok"), true).empty()).isTrue();
        EnumLabels.Plan p = EnumLabels.plan(List.of("sad", "meh", "ok", "happy"), List.of("sad", "fine", "ok"), true);
        assertThat(p.renames()).containsExactly(new Rename("meh", "fine"));
        assertThat(p.additions()).isEmpty();
    }
}
