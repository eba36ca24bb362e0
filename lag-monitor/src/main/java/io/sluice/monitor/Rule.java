package io.sluice.monitor;

import java.time.Duration;
import java.util.Objects;

/**
 * How one stage is judged. Values are in the stage's {@link Unit} (seconds of staleness, or bytes
 * of retained WAL).
 *
 * @param warn          value at or above which the stage is WARN
 * @param crit          value at or above which the stage is CRIT; must not be below {@code warn}
 * @param forDuration   how long a threshold must hold before the state rises (0 = at once)
 * @param clearRatio    hysteresis: to fall back, the value must be below {@code threshold × clearRatio}
 * @param clearFor      ... continuously for this long
 * @param stallAfter    STALLED when the position has not moved for this long while behind; zero disables
 * @param offlineAfter  OFFLINE when unreachable for this long
 */
public record Rule(Unit unit, double warn, double crit, Duration forDuration, double clearRatio, Duration clearFor,
                   Duration stallAfter, Duration offlineAfter) {

    /** What a stage's value measures. */
    public enum Unit {
        SECONDS("staleness"), BYTES("retained WAL");

        private final String measure;

        Unit(String measure) {
            this.measure = measure;
        }

        /** What the value is called in reasons: "staleness", "retained WAL". */
        public String measure() {
            return measure;
        }

        public String format(double v) {
            if (this == BYTES) {
                return Bytes.human((long) v);
            }
            return v >= 10 ? String.format(java.util.Locale.ROOT, "%.0f s", v)
                    : String.format(java.util.Locale.ROOT, "%.3f s", v);
        }
    }

    public Rule {
        Objects.requireNonNull(unit, "unit");
        if (!(warn >= 0) || !(crit >= 0)) {
            throw new IllegalArgumentException("thresholds must be zero or more: warn " + warn + ", crit " + crit);
        }
        if (warn > crit) {
            throw new IllegalArgumentException("warn (" + unit.format(warn) + ") is above crit (" + unit.format(crit) + ")");
        }
        if (!(clearRatio > 0 && clearRatio <= 1)) {
            throw new IllegalArgumentException("clear ratio must be in (0, 1]: " + clearRatio);
        }
        for (Duration d : new Duration[] {forDuration, clearFor, stallAfter, offlineAfter}) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("durations must be zero or more: " + d);
            }
        }
    }

    /** Defaults for staleness: WARN at 1 s, CRIT at 10 s, each held 5 s; STALLED after 30 s unmoved. */
    public static Rule stalenessDefaults() {
        return new Rule(Unit.SECONDS, 1, 10, Duration.ofSeconds(5), 0.8, Duration.ofSeconds(5),
                Duration.ofSeconds(30), Duration.ofSeconds(5));
    }

    /** Defaults for the slot's retained WAL: WARN at 1 GiB, CRIT at 8 GiB; STALLED when it does not move for 60 s. */
    public static Rule slotDefaults() {
        return new Rule(Unit.BYTES, 1L << 30, 8L << 30, Duration.ZERO, 0.8, Duration.ofSeconds(5),
                Duration.ofSeconds(60), Duration.ofSeconds(5));
    }

    public Rule withThresholds(double newWarn, double newCrit) {
        return new Rule(unit, newWarn, newCrit, forDuration, clearRatio, clearFor, stallAfter, offlineAfter);
    }
}
