package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyOrderTest {

    private static final TableId T = new TableId("public", "t");

    private static ChangeEvent.Insert insert(List<String> key, Object... pairs) {
        Map<String, Value> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            Object v = pairs[i + 1];
            m.put((String) pairs[i], v instanceof Value value ? value : v instanceof Integer n ? new Value.Int(n)
                    : Value.Text.ofUtf8(((String) v).getBytes(StandardCharsets.UTF_8)));
        }
        return new ChangeEvent.Insert(new EventHeader("s", new Lsn(1), 1, Instant.EPOCH, 0), T, key, m);
    }

    private static List<String> sortedKeys(List<String> key, List<ChangeEvent.Insert> rows) {
        return KeyOrder.sorted(key, new ArrayList<>(rows), ChangeEvent.Insert::after).stream()
                .map(i -> key.stream().map(k -> String.valueOf(i.after().get(k))).reduce((a, b) -> a + "/" + b).orElseThrow())
                .toList();
    }

    @Test
    void keysOrderByEveryColumnAndOnlyIntegersAndTextsAreSorted() {
        List<String> key = List.of("a", "b");
        assertThat(sortedKeys(key, List.of(insert(key, "a", "y", "b", 2), insert(key, "a", "x", "b", 5), insert(key, "a", "y", "b", 1))))
                .containsExactly("Text[value=x]/Int[value=5]", "Text[value=y]/Int[value=1]", "Text[value=y]/Int[value=2]");
        List<String> id = List.of("id");
        List<ChangeEvent.Insert> uuids = List.of(insert(id, "id", new Value.Uuid(new java.util.UUID(0, 2))),
                insert(id, "id", new Value.Uuid(new java.util.UUID(0, 1))));
        assertThat(sortedKeys(id, uuids)).as("other keys keep arrival order")
                .containsExactly("Uuid[value=00000000-0000-0000-0000-000000000002]", "Uuid[value=00000000-0000-0000-0000-000000000001]");
    }

    @Test
    void integersSentAsTextSortAsIntegersAndOtherTextsFollowThem() {
        List<String> id = List.of("id");
        List<ChangeEvent.Insert> rows = new ArrayList<>();
        for (String v : List.of("10", "9", "-3", "0", "100", "-12", "007", "abc", "+5", "999999999999999999", "1e3", "-0")) {
            rows.add(insert(id, "id", v));
        }
        assertThat(KeyOrder.sorted(id, rows, ChangeEvent.Insert::after)).extracting(i -> ((Value.Text) i.after().get("id")).value())
                .containsExactly("-12", "-3", "0", "9", "10", "100", "999999999999999999", "+5", "-0", "007", "1e3", "abc");
    }

    @Test
    void onlyTheCanonicalFormOfAnIntegerReadsAsOne() {
        assertThat(KeyOrder.asInteger(Value.Text.ofUtf8("42".getBytes(StandardCharsets.UTF_8)))).isEqualTo(new Value.Int(42));
        assertThat(KeyOrder.asInteger(Value.Text.ofUtf8("-42".getBytes(StandardCharsets.UTF_8)))).isEqualTo(new Value.Int(-42));
        for (long edge : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1}) {
            assertThat(KeyOrder.asInteger(Value.Text.ofUtf8(Long.toString(edge).getBytes(StandardCharsets.UTF_8))))
                    .isEqualTo(new Value.Int(edge));
        }
        for (String notOne : List.of("", "-", "042", "-0", "+1", "1.0", " 1", "9223372036854775808", "-9223372036854775809",
                "12345678901234567890", "٣")) {
            Value.Text t = Value.Text.ofUtf8(notOne.getBytes(StandardCharsets.UTF_8));
            assertThat(KeyOrder.asInteger(t)).as(notOne).isSameAs(t);
        }
    }
}
