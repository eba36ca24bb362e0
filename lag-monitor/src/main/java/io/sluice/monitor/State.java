package io.sluice.monitor;

/**
 * The state of one stage or target, in order of precedence: a higher ordinal wins when stages
 * are combined ({@link #worst}).
 */
public enum State {
    /** Below the warning threshold (or recovered below it with hysteresis). */
    OK,
    /** At or above the warning threshold for the configured {@code for} duration. */
    WARN,
    /** At or above the critical threshold for the configured {@code for} duration. */
    CRIT,
    /** Behind, and the position has not moved for the configured stall duration (Burrow's STALL). */
    STALLED,
    /** The store or process cannot be reached, for the configured offline duration. */
    OFFLINE;

    public static State worst(State a, State b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** Lower-case name, as used in JSON, metrics labels and alerts. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
