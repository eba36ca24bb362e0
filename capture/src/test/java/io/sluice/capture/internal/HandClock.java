package io.sluice.capture.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock a test moves by hand — or that moves by a step each time it is read. */
public final class HandClock extends Clock {

    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final Duration step;

    /** A clock that moves only by {@link #advance}. */
    public HandClock() {
        this(Duration.ZERO);
    }

    /** A clock that also moves by {@code step} each time it is read. */
    public HandClock(Duration step) {
        this.step = step;
    }

    public synchronized void advance(Duration d) {
        now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public synchronized Instant instant() {
        now = now.plus(step);
        return now;
    }
}
