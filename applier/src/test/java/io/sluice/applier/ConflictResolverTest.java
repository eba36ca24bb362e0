package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ConflictResolver.Conflict;
import io.sluice.applier.ConflictResolver.Decision;
import io.sluice.applier.ConflictResolver.Outcome;
import io.sluice.format.TableId;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The built-in resolvers decide alike on either leader: the same pair of versions, seen from both sides. */
class ConflictResolverTest {

    private static final TableId T = new TableId("public", "items");
    private static final Instant T1 = Instant.parse("2026-12-04T10:00:00.000001Z");
    private static final Instant T2 = Instant.parse("2026-12-04T10:00:00.000002Z");

    /** Leader {@code a}'s version met by leader {@code b}'s change, as the applier on {@code a} sees it. */
    private static Conflict onA(String kind, Map<String, String> aRow, Instant aTime, Map<String, String> bBefore,
                                Map<String, String> bRow, Instant bTime) {
        return new Conflict(kind, T, List.of("1"), aRow, aTime, "a", bBefore, bRow, bTime, "b");
    }

    /** The same pair as the applier on {@code b} sees it. */
    private static Conflict onB(String kind, Map<String, String> aRow, Instant aTime, Map<String, String> aBefore,
                                Map<String, String> bRow, Instant bTime) {
        return new Conflict(kind, T, List.of("1"), bRow, bTime, "b", aBefore, aRow, aTime, "a");
    }

    private static Map<String, String> row(String v, String n) {
        Map<String, String> r = new HashMap<>();
        r.put("id", "1");
        r.put("v", v);
        r.put("n", n);
        return r;
    }

    /** The row each side ends with, given what it holds and the remote version. */
    private static Map<String, String> result(Conflict c, Decision d) {
        return switch (d.outcome()) {
            case KEEP_LOCAL -> c.local();
            case APPLY_REMOTE -> c.remote();
            case MERGE -> d.row();
        };
    }

    @Test
    void lastWriterWinsByTimeThenByOriginOnBothSides() {
        Map<String, String> a = row("from a", "1");
        Map<String, String> b = row("from b", "2");
        for (Instant[] times : new Instant[][] {{T1, T2}, {T2, T1}, {T1, T1}}) {
            Conflict seenByA = onA("update_origin_differs", a, times[0], Map.of(), b, times[1]);
            Conflict seenByB = onB("update_origin_differs", a, times[0], Map.of(), b, times[1]);
            Map<String, String> onA = result(seenByA, ConflictResolver.LAST_WRITER_WINS.resolve(seenByA));
            Map<String, String> onB = result(seenByB, ConflictResolver.LAST_WRITER_WINS.resolve(seenByB));
            assertThat(onA).as("both leaders end alike at " + times[0] + " / " + times[1]).isEqualTo(onB);
            Map<String, String> expected = times[0].isAfter(times[1]) ? a : b; // a tie goes to the greater origin, b
            assertThat(onA).isEqualTo(expected);
        }
    }

    @Test
    void aRowFromBeforeCommitTimestampsLosesToAnyChange() {
        Conflict c = new Conflict("update_origin_differs", T, List.of("1"), row("old", "0"), null, "a", Map.of(),
                row("new", "1"), T1, "b");
        assertThat(ConflictResolver.LAST_WRITER_WINS.resolve(c).outcome()).isEqualTo(Outcome.APPLY_REMOTE);
    }

    @Test
    void keepBothFollowsLastWriterWinsAndLeavesTheConflictToSettle() {
        Conflict c = onA("insert_exists", row("from a", "1"), T2, Map.of(), row("from b", "2"), T1);
        Decision d = ConflictResolver.KEEP_BOTH.resolve(c);
        assertThat(d.outcome()).isEqualTo(Outcome.KEEP_LOCAL);
        assertThat(d.unsettled()).isTrue();
        assertThat(ConflictResolver.LAST_WRITER_WINS.resolve(c).unsettled()).isFalse();
    }

    @Test
    void mergeColumnsTakesEachSidesChangeToDifferentColumns() {
        Map<String, String> ancestor = row("start", "0");
        Map<String, String> a = row("changed by a", "0"); // a changed v
        Map<String, String> b = row("start", "7");        // b changed n
        Conflict seenByA = onA("update_origin_differs", a, T1, ancestor, b, T2);
        Conflict seenByB = onB("update_origin_differs", a, T1, ancestor, b, T2);
        Decision onA = ConflictResolver.MERGE_COLUMNS.resolve(seenByA);
        Decision onB = ConflictResolver.MERGE_COLUMNS.resolve(seenByB);
        assertThat(result(seenByA, onA)).isEqualTo(row("changed by a", "7")).isEqualTo(result(seenByB, onB));
        assertThat(result(seenByA, ConflictResolver.LAST_WRITER_WINS.resolve(seenByA)))
                .as("last writer wins loses a's change").isEqualTo(b);
    }

    @Test
    void mergeColumnsGivesAColumnBothChangedToTheLaterCommit() {
        Map<String, String> ancestor = row("start", "0");
        Map<String, String> a = row("a's v", "1");
        Map<String, String> b = row("b's v", "0");
        Conflict seenByA = onA("update_origin_differs", a, T2, ancestor, b, T1);
        Conflict seenByB = onB("update_origin_differs", a, T2, ancestor, b, T1);
        Map<String, String> onA = result(seenByA, ConflictResolver.MERGE_COLUMNS.resolve(seenByA));
        assertThat(onA).isEqualTo(row("a's v", "1")).isEqualTo(result(seenByB, ConflictResolver.MERGE_COLUMNS.resolve(seenByB)));
    }

    @Test
    void mergeColumnsWithoutAnOldRowIsLastWriterWins() {
        Conflict c = onA("update_origin_differs", row("a", "1"), T1, Map.of("id", "1"), row("b", "2"), T2);
        assertThat(ConflictResolver.MERGE_COLUMNS.resolve(c).outcome()).isEqualTo(Outcome.APPLY_REMOTE);
    }

    @Test
    void aConfigurationNamesAResolver() {
        assertThat(ConflictResolver.named("none")).isNull();
        assertThat(ConflictResolver.named("last_writer_wins")).isSameAs(ConflictResolver.LAST_WRITER_WINS);
        assertThat(ConflictResolver.named("class:" + KeepLocal.class.getName())).isInstanceOf(KeepLocal.class);
        assertThatThrownBy(() -> ConflictResolver.named("newest")).hasMessageContaining("last_writer_wins");
        assertThatThrownBy(() -> ConflictResolver.named("class:java.lang.String")).hasMessageContaining("is not a");
        assertThatThrownBy(() -> ConflictResolver.named("class:no.such.Resolver")).hasMessageContaining("no.such.Resolver");
    }

    /** A resolver of one's own, as a configuration names it: the local version always stays. */
    public static final class KeepLocal implements ConflictResolver {
        @Override
        public String name() {
            return "keep_local";
        }

        @Override
        public Decision resolve(Conflict c) {
            return Decision.keepLocal();
        }
    }
}
