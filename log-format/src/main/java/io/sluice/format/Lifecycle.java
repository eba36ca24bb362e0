package io.sluice.format;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The state of a long-lived service (capture, an applier), changed only by compare-and-set: a
 * transition names the state it expects, so two threads racing to change it (a stop and a
 * failure, say) cannot both win, and a wrong transition fails naming the expected, requested and
 * actual state. Capture and the applier share it; each has its own enum of states.
 */
public final class Lifecycle<S extends Enum<S>> {

    private final String service;
    private final AtomicReference<S> state;
    private final Consumer<String> onChange;

    /**
     * @param service  named in errors ("capture", "applier for follower f1")
     * @param onChange told of every change, as "{@code FROM -> TO}" (a debug log line, say)
     */
    public Lifecycle(String service, S initial, Consumer<String> onChange) {
        this.service = service;
        this.state = new AtomicReference<>(initial);
        this.onChange = onChange;
    }

    public S get() {
        return state.get();
    }

    /** {@code expected → next}, or an {@link IllegalStateException} naming all three states. */
    public void transition(S expected, S next) {
        if (!tryTransition(expected, next)) {
            throw new IllegalStateException(service + " cannot go to " + next + ": expected state " + expected
                    + " but it is " + state.get());
        }
    }

    /** {@code expected → next} if the state is {@code expected}; whether it moved. */
    public boolean tryTransition(S expected, S next) {
        if (state.compareAndSet(expected, next)) {
            onChange.accept(expected + " -> " + next);
            return true;
        }
        return false;
    }

    /**
     * To {@code next} from any state but those in {@code unless}; returns the state it left, or
     * the one it stayed in (then one of {@code unless}).
     */
    @SafeVarargs
    public final S moveUnless(S next, S... unless) {
        Set<S> stay = unless.length == 0 ? EnumSet.noneOf(next.getDeclaringClass()) : EnumSet.of(unless[0], unless);
        while (true) {
            S now = state.get();
            if (stay.contains(now)) {
                return now;
            }
            if (state.compareAndSet(now, next)) {
                if (now != next) {
                    onChange.accept(now + " -> " + next);
                }
                return now;
            }
        }
    }
}
