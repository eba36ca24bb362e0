package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The collapser's rules on a recording sink: what reaches the follower is each key's final state. */
class GroupCollapserTest {

    private static final TableId T = new TableId("public", "t");
    private static final List<String> KEY = List.of("id");

    /** What the sink was asked to write, one line per call. */
    private final List<String> calls = new ArrayList<>();
    private final RowSink sink = new RowSink() {
        @Override
        public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) {
            calls.add("delete " + table.table() + " " + rows.stream().map(d -> d.before().get("id").toString()).toList());
        }

        @Override
        public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
            calls.add("update " + table.table() + " set " + set + " " + rows.stream().map(u -> u.after().toString()).toList());
        }

        @Override
        public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows) {
            calls.add("insert " + table.table() + " " + cols + " " + rows.stream().map(i -> i.after().toString()).toList());
        }
    };
    private final GroupCollapser collapser = new GroupCollapser();
    private long lsn = 0x1000;

    private EventHeader header() {
        lsn += 0x10;
        return new EventHeader("src", new Lsn(lsn), 7, Instant.parse("2026-11-24T00:00:00Z"), 1);
    }

    private static Map<String, Value> row(Object... pairs) {
        Map<String, Value> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            Object v = pairs[i + 1];
            m.put((String) pairs[i], v instanceof Value value ? value : v instanceof Integer n ? new Value.Int(n)
                    : new Value.Text((String) v));
        }
        return m;
    }

    private ChangeEvent.Insert insert(Object... pairs) {
        return new ChangeEvent.Insert(header(), T, KEY, row(pairs));
    }

    private ChangeEvent.Update update(Object... pairs) {
        return new ChangeEvent.Update(header(), T, KEY, Map.of(), row(pairs));
    }

    private ChangeEvent.Delete delete(int id) {
        return new ChangeEvent.Delete(header(), T, KEY, row("id", id));
    }

    private List<String> flush(ChangeEvent... events) throws Exception {
        for (ChangeEvent e : events) {
            collapser.add(e);
        }
        collapser.flushTo(sink);
        return calls;
    }

    @Test
    void insertThenUpdatesBecomeOneInsertOfTheFinalImage() throws Exception {
        assertThat(flush(insert("id", 1, "v", "a"), update("id", 1, "v", "b"), update("id", 1, "v", "c")))
                .containsExactly("insert t [id, v] [{id=Int[value=1], v=Text[value=c]}]");
    }

    @Test
    void insertThenDeleteWritesNothing() throws Exception {
        assertThat(flush(insert("id", 1, "v", "a"), delete(1))).isEmpty();
        assertThat(collapser.size()).isZero();
    }

    @Test
    void anUnchangedToastColumnStaysUnsetUnlessALaterUpdateSetsIt() throws Exception {
        assertThat(flush(update("id", 1, "v", "a", "big", Value.Unchanged.INSTANCE), update("id", 1, "v", "b", "big",
                Value.Unchanged.INSTANCE), update("id", 2, "v", "x", "big", Value.Unchanged.INSTANCE), update("id", 2, "v", "y", "big", "set")))
                .containsExactly(
                        "update t set [id, v] [{id=Int[value=1], v=Text[value=b], big=INSTANCE}]",
                        "update t set [id, v, big] [{id=Int[value=2], v=Text[value=y], big=Text[value=set]}]");
    }

    @Test
    void deleteThenInsertOfAnExistingKeyIsAnUpdateOfEveryColumn() throws Exception {
        assertThat(flush(delete(1), insert("id", 1, "v", "again")))
                .containsExactly("update t set [id, v] [{id=Int[value=1], v=Text[value=again]}]");
    }

    @Test
    void updateThenDeleteIsOneDeleteByKey() throws Exception {
        assertThat(flush(update("id", 3, "v", "a"), delete(3))).containsExactly("delete t [Int[value=3]]");
    }

    @Test
    void rowsOfOneShapeShareOneCallAndOrderIsDeletesUpdatesInserts() throws Exception {
        assertThat(flush(insert("id", 10, "v", "n"), update("id", 1, "v", "a"), delete(5), update("id", 2, "v", "b"),
                update("id", 3, "w", "other")))
                .containsExactly("delete t [Int[value=5]]",
                        "update t set [id, v] [{id=Int[value=1], v=Text[value=a]}, {id=Int[value=2], v=Text[value=b]}]",
                        "update t set [id, w] [{id=Int[value=3], w=Text[value=other]}]",
                        "insert t [id, v] [{id=Int[value=10], v=Text[value=n]}]");
    }

    @Test
    void eachStatementsRowsGoInKeyOrderSoTheFollowerWalksItsIndexInOrder() throws Exception {
        assertThat(flush(update("id", 30, "v", "c"), delete(9), update("id", 10, "v", "a"), insert("id", 7, "v", "n"),
                delete(2), update("id", 20, "v", "b"), insert("id", 3, "v", "m")))
                .containsExactly("delete t [Int[value=2], Int[value=9]]",
                        "update t set [id, v] [{id=Int[value=10], v=Text[value=a]}, {id=Int[value=20], v=Text[value=b]},"
                                + " {id=Int[value=30], v=Text[value=c]}]",
                        "insert t [id, v] [{id=Int[value=3], v=Text[value=m]}, {id=Int[value=7], v=Text[value=n]}]");
    }

    @Test
    void aCompositeKeyTellsRowsApartByEveryKeyColumn() throws Exception {
        List<String> key = List.of("a", "b");
        collapser.add(new ChangeEvent.Insert(header(), T, key, row("a", 1, "b", 1, "v", "x")));
        collapser.add(new ChangeEvent.Insert(header(), T, key, row("a", 1, "b", 2, "v", "y")));
        collapser.add(new ChangeEvent.Update(header(), T, key, Map.of(), row("a", 1, "b", 2, "v", "z")));
        collapser.flushTo(sink);
        assertThat(calls).containsExactly("insert t [a, b, v] [{a=Int[value=1], b=Int[value=1], v=Text[value=x]}, "
                + "{a=Int[value=1], b=Int[value=2], v=Text[value=z]}]");
    }

    @Test
    void aStreamThatContradictsItselfStopsNamingTheEvent() {
        collapser.add(insert("id", 1, "v", "a"));
        assertThatThrownBy(() -> collapser.add(insert("id", 1, "v", "again")))
                .isInstanceOf(ApplierException.class).hasMessageContaining("inserts a key the same group already holds")
                .hasMessageContaining("insert at source LSN");
        collapser.add(delete(2));
        assertThatThrownBy(() -> collapser.add(update("id", 2, "v", "x")))
                .isInstanceOf(ApplierException.class).hasMessageContaining("updates a key the same group deleted");
    }
}
