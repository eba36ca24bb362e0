package io.sluice.applier.internal;

import io.sluice.format.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * When {@code sluice.applied_group} rows are old enough to go: once a minute the watermark is
 * remembered with the time, and a watermark remembered longer than the retention ago is where the
 * rows below it are deleted, in the apply transaction of the group that finds it due. Tokens older
 * than the retention are then judged by LSN alone. Not thread-safe: the follower thread's.
 */
final class AppliedGroupRetention {

    private final Duration retention;
    private final ArrayDeque<Map.Entry<Instant, Lsn>> marks = new ArrayDeque<>();

    AppliedGroupRetention(Duration retention) {
        this.retention = retention;
    }

    /**
     * The watermark below which rows are deleted with the group committing now at {@code watermark},
     * or null when none is due.
     */
    Lsn pruneBelow(Lsn watermark, Instant now) {
        if (marks.isEmpty() || Duration.between(marks.peekLast().getKey(), now).toSeconds() >= 60) {
            marks.addLast(Map.entry(now, watermark));
        }
        Lsn below = null;
        while (!marks.isEmpty() && Duration.between(marks.peekFirst().getKey(), now).compareTo(retention) > 0) {
            below = marks.pollFirst().getValue();
        }
        return below;
    }
}
