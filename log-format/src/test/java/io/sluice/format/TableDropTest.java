package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableDropTest {

    private static TableDrop parse(String json) {
        return TableDrop.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsWhatTheTriggersWriteAndWritesWhatItReads() {
        TableDrop d = parse("{\"table\" : [\"my schema\", \"t\\\"1\"], \"publications\" : [\"p\", \"q\"], \"later\": {\"x\": 1}}");
        assertThat(d).isEqualTo(new TableDrop(new TableId("my schema", "t\"1"), List.of("p", "q")));
        assertThat(TableDrop.parse(d.toJson())).isEqualTo(d);
    }

    @Test
    void aMessageWithoutItsTableOrWithAnOddOneIsRefusedSayingWhat() {
        assertThatThrownBy(() -> parse("{\"publications\": [\"p\"]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("names no table");
        assertThatThrownBy(() -> parse("{\"table\": [\"t\"]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("[schema, name]");
        assertThatThrownBy(() -> parse("{\"table\": [\"s\", 1]}")).isInstanceOf(FormatException.class)
                .hasMessageContaining("other than strings");
        assertThatThrownBy(() -> parse("[]")).isInstanceOf(FormatException.class).hasMessageContaining("sluice.drop");
    }
}
