package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.Lsn;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AppliedGroupRetentionTest {

    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    @Test
    void rowsGoBelowTheWatermarkOfOneRetentionAgoAtMostOnceAMinute() {
        AppliedGroupRetention retention = new AppliedGroupRetention(Duration.ofMinutes(5));
        assertThat(retention.pruneBelow(new Lsn(100), T0)).as("nothing is old enough yet").isNull();
        assertThat(retention.pruneBelow(new Lsn(150), T0.plusSeconds(30))).as("not remembered: within the minute").isNull();
        assertThat(retention.pruneBelow(new Lsn(200), T0.plusSeconds(60))).isNull();
        assertThat(retention.pruneBelow(new Lsn(300), T0.plusSeconds(300))).as("exactly the retention: not past it").isNull();
        assertThat(retention.pruneBelow(new Lsn(400), T0.plusSeconds(301))).isEqualTo(new Lsn(100));
        assertThat(retention.pruneBelow(new Lsn(410), T0.plusSeconds(302))).as("each mark is used once").isNull();
        assertThat(retention.pruneBelow(new Lsn(500), T0.plusSeconds(1000))).as("the newest of the marks past due")
                .isEqualTo(new Lsn(300));
    }
}
