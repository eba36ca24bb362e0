package io.sluice.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

    /** WARN at 1 s, CRIT at 10 s, each held 5 s; clear below 80 % for 5 s; STALLED after 30 s; OFFLINE after 5 s. */
    private final Rule rule = Rule.stalenessDefaults();

    private Instant now = Instant.parse("2026-11-23T12:00:00Z");
    private long position;
    private final List<String> transitions = new ArrayList<>();

    private State tick(Evaluator e, double staleness, boolean moving) {
        if (moving) {
            position++;
        }
        Evaluator.Verdict v = e.observe(now, Observation.of(staleness, staleness > 0, position));
        if (v.changed()) {
            transitions.add(v.previous() + "->" + v.state());
        }
        now = now.plusSeconds(1);
        return v.state();
    }

    private State unreachable(Evaluator e) {
        Evaluator.Verdict v = e.observe(now, Observation.unreachable("connection refused"));
        if (v.changed()) {
            transitions.add(v.previous() + "->" + v.state());
        }
        now = now.plusSeconds(1);
        return v.state();
    }

    @Test
    void aThresholdMustHoldForItsDurationBeforeTheStateRises() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 5; i++) {
            assertThat(tick(e, 2, true)).as("second %d above warn", i).isEqualTo(State.OK);
        }
        assertThat(tick(e, 2, true)).as("held for 5 s").isEqualTo(State.WARN);
        assertThat(transitions).containsExactly("OK->WARN");
    }

    @Test
    void aSpikeShorterThanForNeverFires() {
        Evaluator e = new Evaluator(rule);
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 4; i++) {
                tick(e, 20, true);
            }
            tick(e, 0, true);
        }
        assertThat(transitions).isEmpty();
        assertThat(e.state()).isEqualTo(State.OK);
    }

    @Test
    void risesThroughWarnToCritAndRecoversToOkWithOneTransitionEach() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 7; i++) {
            tick(e, 3, true);
        }
        assertThat(e.state()).isEqualTo(State.WARN);
        for (int i = 0; i < 7; i++) {
            tick(e, 12, true);
        }
        assertThat(e.state()).isEqualTo(State.CRIT);
        for (int i = 0; i < 10; i++) {
            tick(e, 0, true);
        }
        assertThat(e.state()).isEqualTo(State.OK);
        assertThat(transitions).containsExactly("OK->WARN", "WARN->CRIT", "CRIT->OK");
    }

    @Test
    void critFiresDirectlyFromOkWhenTheLagJumps() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 6; i++) {
            tick(e, 60, true);
        }
        assertThat(transitions).containsExactly("OK->CRIT");
    }

    @Test
    void hysteresisKeepsAValueHoveringAtTheThresholdFromFlapping() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 6; i++) {
            tick(e, 1.2, true);
        }
        assertThat(e.state()).isEqualTo(State.WARN);
        // Hovering just around the 1 s threshold, but never below 0.8 s: stays WARN, no alert storm.
        for (int i = 0; i < 60; i++) {
            tick(e, i % 2 == 0 ? 0.9 : 1.1, true);
        }
        assertThat(transitions).containsExactly("OK->WARN");
        // Below 0.8 s but not for the full 5 s: still WARN.
        for (int i = 0; i < 4; i++) {
            tick(e, 0.5, true);
        }
        tick(e, 0.9, true);
        assertThat(e.state()).isEqualTo(State.WARN);
        // Below 0.8 s for 5 s: OK, one recovery.
        for (int i = 0; i < 6; i++) {
            tick(e, 0.5, true);
        }
        assertThat(e.state()).isEqualTo(State.OK);
        assertThat(transitions).containsExactly("OK->WARN", "WARN->OK");
    }

    @Test
    void critClearsToWarnWhenTheLagFallsOnlyBelowCrit() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 6; i++) {
            tick(e, 20, true);
        }
        for (int i = 0; i < 6; i++) {
            tick(e, 5, true);
        }
        assertThat(transitions).containsExactly("OK->CRIT", "CRIT->WARN");
    }

    @Test
    void behindAndNotMovingIsStalledWhileSlowButMovingIsNot() {
        Evaluator stuck = new Evaluator(rule);
        Evaluator slow = new Evaluator(rule);
        Evaluator.Verdict stuckVerdict = null;
        Evaluator.Verdict slowVerdict = null;
        for (int i = 1; i <= 40; i++) {
            double lag = 0.5 + i * 0.01; // behind and growing, below the warning threshold
            stuckVerdict = stuck.observe(now, Observation.of(lag, true, 7));
            slowVerdict = slow.observe(now, Observation.of(lag, true, i)); // progressing
            if (i < 30) {
                assertThat(stuckVerdict.state()).as("unmoved for %d s", i - 1).isEqualTo(State.OK);
            }
            now = now.plusSeconds(1);
        }
        assertThat(stuckVerdict.state()).isEqualTo(State.STALLED);
        assertThat(slowVerdict.state()).isEqualTo(State.OK);
        assertThat(stuck.reason()).contains("not moving");
        // The stuck stage moves again: STALLED ends at the next observation.
        assertThat(stuck.observe(now, Observation.of(0.6, true, 8)).state()).isEqualTo(State.OK);
    }

    @Test
    void anIdleSystemWithZeroStalenessIsNeverStalled() {
        Evaluator e = new Evaluator(rule);
        for (int i = 0; i < 600; i++) {
            tick(e, 0, false); // the position never moves, and nothing is pending
        }
        assertThat(e.state()).isEqualTo(State.OK);
        assertThat(transitions).isEmpty();
    }

    @Test
    void unreachableForOfflineAfterIsOfflineAndComesBackToItsLevel() {
        Evaluator e = new Evaluator(rule);
        tick(e, 0, true);
        for (int i = 0; i < 5; i++) {
            assertThat(unreachable(e)).as("unreachable for %d s", i).isEqualTo(State.OK);
        }
        assertThat(unreachable(e)).isEqualTo(State.OFFLINE);
        assertThat(e.reason()).contains("connection refused");
        assertThat(tick(e, 0, true)).isEqualTo(State.OK);
        assertThat(transitions).containsExactly("OK->OFFLINE", "OFFLINE->OK");
    }

    @Test
    void aBriefOutageShorterThanOfflineAfterRaisesNothing() {
        Evaluator e = new Evaluator(rule);
        for (int round = 0; round < 5; round++) {
            tick(e, 0, true);
            unreachable(e);
            unreachable(e);
        }
        assertThat(transitions).isEmpty();
    }

    @Test
    void zeroForAndClearForActAtOnce() {
        Evaluator e = new Evaluator(new Rule(Rule.Unit.BYTES, 100, 200, Duration.ZERO, 1.0, Duration.ZERO,
                Duration.ZERO, Duration.ZERO));
        assertThat(tick(e, 150, true)).isEqualTo(State.WARN);
        assertThat(tick(e, 250, true)).isEqualTo(State.CRIT);
        assertThat(tick(e, 10, true)).isEqualTo(State.OK);
        assertThat(tick(e, 10, false)).as("stall disabled with a zero duration").isEqualTo(State.OK);
    }

    @Test
    void aRuleWithWarnAboveCritOrANegativeDurationIsRejected() {
        assertThatThrownBy(() -> rule.withThresholds(20, 10)).hasMessageContaining("warn (20 s) is above crit (10 s)");
        assertThatThrownBy(() -> new Rule(Rule.Unit.SECONDS, 1, 2, Duration.ofSeconds(-1), 0.8, Duration.ZERO,
                Duration.ZERO, Duration.ZERO)).hasMessageContaining("durations must be zero or more");
    }
}
