package io.sluice.monitor;

/**
 * One measurement of a stage.
 *
 * @param reachable whether the measurement could be taken at all
 * @param value     the stage's lag in its rule's unit (ignored when unreachable)
 * @param behind    whether there is work the stage has not done (a stall needs this)
 * @param position  a number that moves whenever the stage makes progress (an LSN, an offset)
 * @param error     why it was unreachable, or null
 */
public record Observation(boolean reachable, double value, boolean behind, long position, String error) {

    public static Observation of(double value, boolean behind, long position) {
        return new Observation(true, value, behind, position, null);
    }

    public static Observation unreachable(String error) {
        return new Observation(false, 0, false, 0, error);
    }
}
