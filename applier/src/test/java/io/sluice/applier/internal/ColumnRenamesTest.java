package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ColumnRenamesTest {

    private static DdlMessage renaming(DdlMessage.DdlColumn... columns) {
        return new DdlMessage(new TableId("public", "t"), List.of(columns), List.of(), List.of(), false, false,
                List.of(columns).stream().filter(c -> c.renamedFrom() != null).map(DdlMessage.DdlColumn::name).toList(),
                null, false, true);
    }

    private static DdlMessage.DdlColumn column(String name, String was) {
        return new DdlMessage.DdlColumn(name, "integer", true, null, false, was);
    }

    @Test
    void oneRenameIsOneStepOfAColumnTheFollowerHas() {
        DdlMessage m = renaming(column("id", null), column("b", "a"));
        assertThat(ColumnRenames.steps(m, Set.of("id", "a"))).containsExactly(new ColumnRenames.Step("a", "b"));
        assertThat(ColumnRenames.steps(m, Set.of("id", "b"))).as("already renamed: a message applied again").isEmpty();
    }

    @Test
    void namesThatTradePlacesGoAsideFirst() {
        DdlMessage m = renaming(column("a", "b"), column("b", "a"));
        List<ColumnRenames.Step> steps = ColumnRenames.steps(m, Set.of("a", "b"));
        assertThat(steps).containsExactly(new ColumnRenames.Step("b", "sluice_renaming_0"),
                new ColumnRenames.Step("a", "sluice_renaming_1"), new ColumnRenames.Step("sluice_renaming_0", "a"),
                new ColumnRenames.Step("sluice_renaming_1", "b"));
    }

    @Test
    void anErrorSaysWhatARenamedColumnWasCalledWhenTheMessageKnows() {
        DdlMessage known = renaming(column("b", "a"));
        assertThat(ColumnRenames.oldNames(known, List.of("b"))).contains("b was a");
        DdlMessage unknown = new DdlMessage(new TableId("public", "t"), List.of(column("b", null)), List.of(), List.of(), false,
                false, List.of("b"));
        assertThat(ColumnRenames.oldNames(unknown, List.of("b"))).isEqualTo("the stream does not say their old names");
    }
}
