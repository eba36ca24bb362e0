package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keyed change topics' names, records and the watermark kept in offset metadata. */
class ChangeTopicRecordsTest {

    private static final TableId T = new TableId("public", "orders");

    private static Map<String, Value> row() {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Text("42"));
        row.put("note", new Value.Text("tab\there \"quoted\" \\ ünï € 😀 \u0001\n\r\u001f end"));
        row.put("gone", Value.Null.INSTANCE);
        row.put("blob", Value.Unchanged.INSTANCE);
        return row;
    }

    @Test
    void keyAndValueCarryEachColumnsTextAndReadBackExactly() {
        Map<String, String> key = ChangeTopicRecords.parse(ChangeTopicRecords.key(T, List.of("id"), row()));
        assertThat(key).containsExactly(Map.entry("id", "42"));
        Map<String, String> value = ChangeTopicRecords.parse(ChangeTopicRecords.value(row()));
        assertThat(value).containsOnlyKeys("id", "note", "gone");
        assertThat(value.get("note")).isEqualTo("tab\there \"quoted\" \\ ünï € 😀 \u0001\n\r\u001f end");
        assertThat(value.get("gone")).isNull();
        assertThat(new String(ChangeTopicRecords.unchanged(row()), StandardCharsets.UTF_8)).isEqualTo("[\"blob\"]");
        assertThat(ChangeTopicRecords.names(ChangeTopicRecords.unchanged(row()))).containsExactly("blob");
        assertThat(ChangeTopicRecords.unchanged(Map.of("id", new Value.Text("1")))).isNull();
    }

    @Test
    void textWithAnUnpairedSurrogateHasNoRecordValue() {
        assertThatThrownBy(() -> ChangeTopicRecords.value(Map.of("t", new Value.Text("a\ud800b"))))
                .hasMessageContaining("unpaired surrogate at character 1");
    }

    @Test
    void aTableWithoutKeyOrAKeyWithoutValueHasNoRecordKey() {
        assertThatThrownBy(() -> ChangeTopicRecords.key(T, List.of(), row())).hasMessageContaining("public.orders")
                .hasMessageContaining("no primary key");
        assertThatThrownBy(() -> ChangeTopicRecords.key(T, List.of("gone"), row())).hasMessageContaining("key column gone");
    }

    @Test
    void topicNamesAreSourceFollowerSchemaAndTableAndOtherNamesAreRefused() {
        assertThat(TopicNames.changes("shop", "feed", T)).isEqualTo("sluice.shop.feed.public.orders");
        assertThatThrownBy(() -> TopicNames.changes("shop", "feed", new TableId("public", "order lines")))
                .hasMessageContaining("order lines").hasMessageContaining("no change topic name");
        assertThatThrownBy(() -> TopicNames.changes("shop", "feed", new TableId("public", "a.b"))).hasMessageContaining("a.b");
    }

    @Test
    void theWatermarkRoundTripsThroughOffsetMetadata() {
        AppliedOffset epoch0 = new AppliedOffset(Lsn.parse("0/16B3748"), 745, Instant.parse("2026-12-04T10:00:00.123456Z"),
                Instant.parse("2026-12-04T10:00:00.130Z"), 42, 0, null, null);
        assertThat(AppliedOffset.parse(epoch0.metadata())).isEqualTo(epoch0);
        AppliedOffset promoted = new AppliedOffset(Lsn.parse("1/0"), 9, Instant.EPOCH, Instant.EPOCH, 43, 2, "west",
                Lsn.parse("0/16B3748"));
        assertThat(AppliedOffset.parse(promoted.metadata())).isEqualTo(promoted);
        assertThat(AppliedOffset.is("")).isFalse();
        assertThatThrownBy(() -> AppliedOffset.parse("sluice-watermark/1 lsn=0/1 xid=1")).isInstanceOf(FormatException.class)
                .hasMessageContaining("no field 'time'");
    }
}
