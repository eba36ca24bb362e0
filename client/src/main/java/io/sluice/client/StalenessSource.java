package io.sluice.client;

import java.util.OptionalDouble;

/**
 * Where the client learns each follower's staleness for read rotation, e.g. the lag monitor's
 * {@code /status} ({@link MonitorStaleness}).
 */
@FunctionalInterface
public interface StalenessSource {
    /** The follower's end-to-end staleness in seconds, or empty when unknown. */
    OptionalDouble stalenessSeconds(String follower);
}
