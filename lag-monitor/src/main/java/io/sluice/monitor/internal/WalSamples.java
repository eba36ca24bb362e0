package io.sluice.monitor.internal;

import io.sluice.format.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * Capture staleness from WAL positions: each evaluation records (time, primary WAL position);
 * samples at or below capture's decoded position are dropped. The staleness is the age of the
 * oldest sample still above it — the WAL beyond capture was written no later than then, so this
 * is a lower bound, exact to one evaluation interval. When capture keeps up (also on an idle
 * primary, whose walsender reads the background WAL records too) no sample survives and the
 * staleness is 0, not "time since the last write".
 */
public final class WalSamples {

    private record Sample(Instant at, Lsn lsn) { }

    private static final int MAX = 100_000;
    private final ArrayDeque<Sample> pending = new ArrayDeque<>();

    public void record(Instant at, Lsn walLsn) {
        Sample last = pending.peekLast();
        if (last != null && !walLsn.isAfter(last.lsn())) {
            return; // nothing new written since the last sample
        }
        if (pending.size() == MAX) {
            pending.pollLast(); // keep the oldest: it is what the staleness is measured from
        }
        pending.addLast(new Sample(at, walLsn));
    }

    /** Drops what capture has decoded and returns the age of the oldest WAL it has not. */
    public Duration staleness(Lsn decoded, Instant now) {
        while (!pending.isEmpty() && decoded != null && !pending.peekFirst().lsn().isAfter(decoded)) {
            pending.pollFirst();
        }
        Sample oldest = pending.peekFirst();
        if (oldest == null) {
            return Duration.ZERO;
        }
        Duration d = Duration.between(oldest.at(), now);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
