package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    enum S { NEW, RUNNING, STOPPING, STOPPED, FAILED }

    private final List<String> changes = new ArrayList<>();
    private final Lifecycle<S> life = new Lifecycle<>("capture", S.NEW, changes::add);

    @Test
    void aWrongTransitionNamesExpectedRequestedAndActual() {
        life.transition(S.NEW, S.RUNNING);
        assertThatThrownBy(() -> life.transition(S.NEW, S.RUNNING)).isInstanceOf(IllegalStateException.class)
                .hasMessage("capture cannot go to RUNNING: expected state NEW but it is RUNNING");
        assertThat(changes).containsExactly("NEW -> RUNNING");
    }

    @Test
    void aFailureDoesNotOverrideAStop() {
        life.transition(S.NEW, S.RUNNING);
        assertThat(life.moveUnless(S.STOPPING, S.STOPPING, S.STOPPED)).isEqualTo(S.RUNNING);
        assertThat(life.moveUnless(S.FAILED, S.STOPPING, S.STOPPED)).as("a failure while stopping").isEqualTo(S.STOPPING);
        assertThat(life.get()).isEqualTo(S.STOPPING);
        assertThat(life.tryTransition(S.RUNNING, S.STOPPED)).isFalse();
        life.transition(S.STOPPING, S.STOPPED);
        assertThat(changes).containsExactly("NEW -> RUNNING", "RUNNING -> STOPPING", "STOPPING -> STOPPED");
    }

    @Test
    void onlyOneOfTwoRacingTransitionsWins() throws Exception {
        for (int round = 0; round < 200; round++) {
            Lifecycle<S> l = new Lifecycle<>("applier", S.RUNNING, c -> { });
            boolean[] won = new boolean[2];
            Thread a = new Thread(() -> won[0] = l.tryTransition(S.RUNNING, S.STOPPED));
            Thread b = new Thread(() -> won[1] = l.tryTransition(S.RUNNING, S.FAILED));
            a.start();
            b.start();
            a.join();
            b.join();
            assertThat(won[0] ^ won[1]).as("exactly one wins").isTrue();
            assertThat(l.get()).isEqualTo(won[0] ? S.STOPPED : S.FAILED);
        }
    }
}
