package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaidDefinitionsTest {

    private static SaidDefinitions parse(String json) {
        return SaidDefinitions.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsWhatItWritesEveryFieldIncludingThoseNotSaid() {
        SaidDefinitions d = new SaidDefinitions(false,
                List.of(new SaidDefinitions.Table(new TableId("my schema", "t\"1"),
                                List.of(new SaidDefinitions.ColumnFact("id", false, true, "numeric(12,2)"),
                                        new SaidDefinitions.ColumnFact("v", true, null)),
                                List.of(new DdlMessage.Generated("g", "integer", true, "(v % 7)", true, null)),
                                List.of(new TableId("public", "parent"))),
                        new SaidDefinitions.Table(new TableId("public", "u"), List.of(), List.of(), null)),
                List.of(new TableId("public", "gone")),
                List.of(new SaidDefinitions.EnumLabels(List.of("public", "mood"), List.of("sad", "", "hé")),
                        new SaidDefinitions.EnumLabels(List.of("public", "feel"), List.of("x,y", "c"), java.util.Map.of("b", "x,y", "a", "x,y"))),
                List.of(List.of("s", "old_enum")), List.of(new TableId("s", "made then renamed")));
        assertThat(SaidDefinitions.parse(d.toJson())).isEqualTo(d);
        SaidDefinitions none = new SaidDefinitions(false, List.of(), List.of(), List.of(), List.of(), List.of());
        assertThat(SaidDefinitions.parse(none.toJson()).unannounced()).as("none said").isEmpty();
        assertThat(d.toEvent(new EventHeader("src", Lsn.parse("0/10"), 1, java.time.Instant.EPOCH, 1)).transactional())
                .as("changes sit inside their frame").isTrue();
        SaidDefinitions everything = new SaidDefinitions(true, List.of(), List.of(), List.of(), List.of());
        assertThat(SaidDefinitions.parse(everything.toJson())).isEqualTo(everything);
        assertThat(SaidDefinitions.parse(everything.toJson()).unannounced()).as("not said").isNull();
    }

    @Test
    void aNewerWritersFieldsArePassedOver() {
        SaidDefinitions d = parse("{\"full\": true, \"later\": {\"x\": [1]}, \"tables\": [{\"table\": [\"s\", \"t\"],"
                + " \"columns\": [{\"name\": \"a\", \"nullable\": false, \"more\": 1}]}]}");
        assertThat(d.full()).isTrue();
        assertThat(d.tables()).containsExactly(new SaidDefinitions.Table(new TableId("s", "t"),
                List.of(new SaidDefinitions.ColumnFact("a", false, null)), List.of(), null));
    }

    @Test
    void aMalformedMessageIsRefusedSayingWhatAndWhose() {
        assertThatThrownBy(() -> parse("[]")).isInstanceOf(FormatException.class).hasMessageContaining("sluice.definitions");
        assertThatThrownBy(() -> parse("{\"tables\": [{\"table\": [\"t\"]}]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("[schema, name]");
        assertThatThrownBy(() -> parse("{\"tables\": [{\"table\": [\"s\", \"t\"], \"columns\": [{\"nullable\": true}]}]}"))
                .isInstanceOf(FormatException.class).hasMessageContaining("a column has no name");
        assertThatThrownBy(() -> parse("{\"gone\": [[\"s\"]]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("gone holds [s]");
        assertThatThrownBy(() -> parse("{\"enums\": [{\"labels\": [\"a\"]}]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("an enum is not named");
        assertThatThrownBy(() -> parse("{\"enums\": [{\"type\": [\"s\", \"e\"], \"labels\": [\"a\"], \"renamed\": {\"b\": [\"x\"]}}]}"))
                .isInstanceOf(FormatException.class).hasMessageContaining("renamed label b of [s, e] has no name now");
    }
}
