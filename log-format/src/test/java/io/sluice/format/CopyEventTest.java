package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyEventTest {

    private static CopyEvent goldenCopy() throws Exception {
        return (CopyEvent) EventCodec.decodeAll(GoldenFilesTest.read("/golden/v3/snapshot.bin")).get(2);
    }

    @Test
    void aCopyMeansTheInsertsOfItsLinesWithTheirTextAndNulls() throws Exception {
        List<ChangeEvent.Insert> rows = goldenCopy().inserts();
        assertThat(rows).hasSize(3);
        assertThat(rows.get(1).after()).containsEntry("owner", new Value.Text("bob\twith a tab"))
                .containsEntry("tags", Value.Null.INSTANCE).containsEntry("balance", new Value.Text("-0.50"));
        assertThat(rows.get(2).after()).containsEntry("owner", new Value.Text("cé\\d"));
        assertThat(rows.get(0).key()).containsExactly("id");
        assertThat(rows.get(0).header()).isEqualTo(goldenCopy().header());
    }

    @Test
    void aCopyWhoseLinesDoNotMatchItsRowCountIsRefused() throws Exception {
        EventHeader h = goldenCopy().header();
        byte[] twoLines = "1\ta\n2\tb\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> CopyEvent.of(h, GoldenEvents.ACCOUNTS, List.of("id"), List.of("id", "owner"), 3, twoLines))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("says 3 rows but its text holds 2 whole lines");
        byte[] unfinished = "1\ta".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> CopyEvent.of(h, GoldenEvents.ACCOUNTS, List.of("id"), List.of("id", "owner"), 1, unfinished))
                .isInstanceOf(IllegalArgumentException.class);
        CopyEvent wrongWidth = CopyEvent.of(h, GoldenEvents.ACCOUNTS, List.of("id"), List.of("id", "owner", "balance"), 1,
                "1\ta\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(wrongWidth::inserts).isInstanceOf(FormatException.class)
                .hasMessageContaining("public.accounts").hasMessageContaining("2 fields for 3 columns");
    }

    @Test
    void onlyVersion3CarriesCopyEvents() throws Exception {
        CopyEvent copy = goldenCopy();
        assertThatThrownBy(() -> EventCodec.encode(copy)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("from format version 3");
        assertThatThrownBy(() -> EventCodec.encode(copy, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(EventCodec.decode(EventCodec.encode(copy, 3))).isEqualTo(copy);
    }
}
