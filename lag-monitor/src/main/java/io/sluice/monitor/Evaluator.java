package io.sluice.monitor;

import java.time.Duration;
import java.time.Instant;

/**
 * Turns a stage's observations into a state, with the habits that keep alerts quiet and true:
 * <ul>
 *   <li>a threshold must hold for {@link Rule#forDuration()} before the state rises;</li>
 *   <li>to fall back the value must stay below {@code threshold × clearRatio} for
 *       {@link Rule#clearFor()} (hysteresis: a value hovering at a threshold does not flap);</li>
 *   <li>STALLED when the stage is behind and its position has not moved for
 *       {@link Rule#stallAfter()}, which slow-but-moving never is (Burrow's rule);</li>
 *   <li>OFFLINE after {@link Rule#offlineAfter()} of failed measurements; while unreachable the
 *       threshold level is frozen, since nothing is known.</li>
 * </ul>
 * Precedence: OFFLINE, then STALLED, then the threshold level. Time is what the caller passes
 * (an injected clock), so every transition is unit-testable. Not thread-safe: one evaluation
 * thread owns it.
 */
public final class Evaluator {

    /** The result of one observation: the state, and the previous one when this observation changed it. */
    public record Verdict(State state, State previous, Instant since, String reason) {
        public boolean changed() {
            return previous != null;
        }
    }

    private final Rule rule;

    private State level = State.OK;
    private Instant warnSince;
    private Instant critSince;
    private Instant clearSince;

    private Instant unreachableSince;
    private String lastError;

    private boolean havePosition;
    private long lastPosition;
    private Instant movedAt;

    private State state = State.OK;
    private Instant stateSince;
    private String reason = "no observation yet";
    private double lastValue;

    public Evaluator(Rule rule) {
        this.rule = rule;
    }

    public Rule rule() {
        return rule;
    }

    public State state() {
        return state;
    }

    public Instant since() {
        return stateSince;
    }

    public String reason() {
        return reason;
    }

    public Verdict observe(Instant now, Observation o) {
        if (stateSince == null) {
            stateSince = now;
        }
        boolean offline = false;
        boolean stalled = false;
        if (!o.reachable()) {
            if (unreachableSince == null) {
                unreachableSince = now;
            }
            lastError = o.error();
            offline = !elapsed(unreachableSince, now).minus(rule.offlineAfter()).isNegative();
            if (!offline) {
                // Not yet offline: keep the state we had; nothing new is known.
                return new Verdict(state, null, stateSince, reason);
            }
        } else {
            unreachableSince = null;
            lastValue = o.value();
            track(now, o.value());
            if (!havePosition || o.position() != lastPosition || !o.behind()) {
                havePosition = true;
                lastPosition = o.position();
                movedAt = now;
            }
            stalled = o.behind() && !rule.stallAfter().isZero()
                    && !elapsed(movedAt, now).minus(rule.stallAfter()).isNegative();
        }
        State next = offline ? State.OFFLINE : stalled ? State.STALLED : level;
        String why = describe(next, now);
        if (next == state) {
            reason = why;
            return new Verdict(state, null, stateSince, reason);
        }
        State previous = state;
        state = next;
        stateSince = now;
        reason = why;
        return new Verdict(state, previous, stateSince, reason);
    }

    /** The threshold level, with {@code for} on the way up and hysteresis on the way down. */
    private void track(Instant now, double value) {
        warnSince = value >= rule.warn() ? (warnSince == null ? now : warnSince) : null;
        critSince = value >= rule.crit() ? (critSince == null ? now : critSince) : null;
        if (level.ordinal() < State.CRIT.ordinal() && held(critSince, now)) {
            level = State.CRIT;
            clearSince = null;
            return;
        }
        if (level.ordinal() < State.WARN.ordinal() && held(warnSince, now)) {
            level = State.WARN;
            clearSince = null;
            return;
        }
        State clearTo = value < rule.warn() * rule.clearRatio() ? State.OK
                : value < rule.crit() * rule.clearRatio() ? State.WARN : State.CRIT;
        if (clearTo.ordinal() < level.ordinal()) {
            if (clearSince == null) {
                clearSince = now;
            }
            if (!elapsed(clearSince, now).minus(rule.clearFor()).isNegative()) {
                level = clearTo;
                clearSince = null;
            }
        } else {
            clearSince = null;
        }
    }

    private boolean held(Instant since, Instant now) {
        return since != null && !elapsed(since, now).minus(rule.forDuration()).isNegative();
    }

    private String describe(State s, Instant now) {
        Rule.Unit u = rule.unit();
        switch (s) {
            case OFFLINE:
                return "unreachable for " + seconds(elapsed(unreachableSince, now)) + (lastError == null ? "" : ": " + lastError);
            case STALLED:
                return "behind and not moving for " + seconds(elapsed(movedAt, now)) + " (" + u.measure() + " " + u.format(lastValue) + ")";
            case CRIT:
                return u.measure() + " " + u.format(lastValue) + " (crit at " + u.format(rule.crit()) + ")";
            case WARN:
                return u.measure() + " " + u.format(lastValue) + " (warn at " + u.format(rule.warn()) + ")";
            default:
                return u.measure() + " " + u.format(lastValue);
        }
    }

    private static Duration elapsed(Instant from, Instant to) {
        Duration d = Duration.between(from, to);
        return d.isNegative() ? Duration.ZERO : d;
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
