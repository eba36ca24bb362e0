package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.SaidDefinitions;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Values of rows written before a rename of their enum label, named as the label is named now: pure logic. */
class LabelRenamesTest {

    private static final List<String> MOOD = List.of("public", "mood");

    /** A table of an enum column and an enum-array column, the labels as said now. */
    private static TableShape shape(List<String> labels) {
        return new TableShape(new TableId("public", "t"), List.of(new Column("id", "integer", false, true),
                new Column("m", "mood", true, false, labels), new Column("ms", "mood[]", true, false, labels)), List.of("id"),
                ReplicaIdentity.DEFAULT, List.of(), List.of(), List.of(), Map.of(), Map.of("m", MOOD, "ms", MOOD));
    }

    private static Map<String, Value> row(String m, String ms) {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Text("1"));
        row.put("m", m == null ? Value.Null.INSTANCE : new Value.Text(m));
        row.put("ms", new Value.Text(ms));
        return row;
    }

    private static String text(Map<String, Value> row, String column) {
        return ((Value.Text) row.get(column)).value();
    }

    @Test
    void aValueUnderALabelsOldNameTakesItsNameNowThroughEveryRename() {
        LabelRenames renames = new LabelRenames();
        renames.said(MOOD, null, List.of("a", "b", "c"));
        renames.said(MOOD, List.of("a", "b", "c"), List.of("a", "x", "c"));
        renames.said(MOOD, List.of("a", "x", "c"), List.of("a", "x", "c", "d")); // an added label renames nothing
        renames.said(MOOD, List.of("a", "x", "c", "d"), List.of("a", "y", "c", "d"));
        Map<String, Value> named = renames.named(shape(List.of("a", "y", "c", "d")), row("b", "{b,x,c,NULL}"));
        assertThat(text(named, "m")).isEqualTo("y");
        assertThat(text(named, "ms")).isEqualTo("{y,y,c,NULL}");
        Map<String, Value> current = row("y", "{a}");
        assertThat(renames.named(shape(List.of("a", "y", "c", "d")), current)).as("nothing to rename: the row itself").isSameAs(current);
    }

    @Test
    void aNameALabelHasNowIsThatLabelsEvenIfAnotherHadItBefore() {
        LabelRenames renames = new LabelRenames();
        renames.said(MOOD, List.of("a", "b"), List.of("a", "x"));
        renames.said(MOOD, List.of("a", "x"), List.of("a", "x", "b")); // b added again, as a label of its own
        assertThat(text(renames.named(shape(List.of("a", "x", "b")), row("b", "{b}")), "m")).isEqualTo("b");
        renames.said(MOOD, List.of("a", "x", "b"), List.of("a", "b2", "b"));
        assertThat(text(renames.named(shape(List.of("a", "b2", "b")), row("x", "{x}")), "m")).isEqualTo("b2");
    }

    @Test
    void arrayElementsAreQuotedAsArrayOutWouldAndTheRestKeptAsItCame() {
        Map<String, String> names = Map.of("b b", "x,\"y", "c", "NULL", "d", "");
        assertThat(EnumArrayText.renamed("{\"b b\",a,NULL}", names)).isEqualTo("{\"x,\\\"y\",a,NULL}");
        assertThat(EnumArrayText.renamed("[0:1]={{c,a},{\"a b\",d}}", names)).isEqualTo("[0:1]={{\"NULL\",a},{\"a b\",\"\"}}");
        assertThat(EnumArrayText.renamed("{a,\"q\\\\\"}", names)).as("nothing renamed: the text as it came").isEqualTo("{a,\"q\\\\\"}");
        assertThat(EnumArrayText.renamed("{}", names)).isEqualTo("{}");
    }

    /** Written to the stream and read back: a message of everything carries the renames it held. */
    @Test
    void aMessageOfEverythingCarriesTheRenamesHeld() {
        StreamDefinitions written = new StreamDefinitions();
        written.readBack(new SaidDefinitions(true, List.of(), List.of(), List.of(new SaidDefinitions.EnumLabels(MOOD, List.of("a", "b"))),
                List.of()));
        written.readBack(new SaidDefinitions(false, List.of(), List.of(), List.of(new SaidDefinitions.EnumLabels(MOOD, List.of("a", "x"))),
                List.of()));
        StreamDefinitions read = new StreamDefinitions();
        read.readBack(SaidDefinitions.parse(written.everything().toJson()));
        assertThat(text(read.labels().renames().named(shape(List.of("a", "x")), row("b", "{b}")), "m")).isEqualTo("x");
    }

    /** Read back from the stream: the renames a frame's changes tell are learned again; a message of everything starts over. */
    @Test
    void renamesAreLearnedAgainFromTheChangesReadBack() {
        StreamDefinitions held = new StreamDefinitions();
        held.readBack(new SaidDefinitions(true, List.of(), List.of(), List.of(new SaidDefinitions.EnumLabels(MOOD, List.of("a", "b"))),
                List.of()));
        held.readBack(new SaidDefinitions(false, List.of(), List.of(), List.of(new SaidDefinitions.EnumLabels(MOOD, List.of("a", "x"))),
                List.of()));
        assertThat(text(held.labels().renames().named(shape(List.of("a", "x")), row("b", "{b}")), "m")).isEqualTo("x");
        held.readBack(new SaidDefinitions(true, List.of(), List.of(), List.of(new SaidDefinitions.EnumLabels(MOOD, List.of("a", "x"))),
                List.of()));
        assertThat(text(held.labels().renames().named(shape(List.of("a", "x")), row("b", "{b}")), "m")).isEqualTo("b");
    }
}
