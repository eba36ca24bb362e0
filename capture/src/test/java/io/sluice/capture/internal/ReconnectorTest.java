package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.capture.CaptureException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReconnectorTest {

    private final HandClock clock = new HandClock();
    private final List<Duration> waits = new ArrayList<>();
    private int cleanUps;

    private Reconnector reconnector(Duration timeout) {
        return new Reconnector(clock, timeout, wait -> {
            waits.add(wait);
            clock.advance(wait);
            return false;
        });
    }

    private static RuntimeException unreachable() {
        return new CaptureException(CaptureException.Kind.CONFIGURATION, "cannot connect to the primary",
                new SQLException("Could not find a server with specified targetServerType: primary", "08001"));
    }

    @Test
    void connectionLossIsToldFromOtherFailuresByItsSqlState() {
        assertThat(Reconnector.isConnectionLoss(unreachable())).isTrue();
        assertThat(Reconnector.isConnectionLoss(new SQLException("the database system is starting up", "57P03"))).isTrue();
        assertThat(Reconnector.isConnectionLoss(new CaptureException(CaptureException.Kind.CONFIGURATION, "slot gone"))).isFalse();
        assertThat(Reconnector.isConnectionLoss(new IllegalStateException(new SQLException("duplicate key", "23505")))).isFalse();
    }

    @Test
    void attemptsAgainAtGrowingIntervalsUntilOneSucceeds() throws Exception {
        int[] attempts = {0};
        boolean reconnected = reconnector(Duration.ofSeconds(60)).reconnect(() -> {
            if (++attempts[0] < 7) {
                throw unreachable();
            }
        }, () -> cleanUps++);
        assertThat(reconnected).isTrue();
        assertThat(attempts[0]).isEqualTo(7);
        assertThat(cleanUps).as("each failed attempt cleaned up").isEqualTo(6);
        assertThat(waits).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
                Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500));
    }

    @Test
    void givesUpWithTheLastFailureWhenTimeRunsOut() {
        assertThatThrownBy(() -> reconnector(Duration.ofSeconds(5)).reconnect(() -> {
            throw unreachable();
        }, () -> cleanUps++)).hasMessageContaining("cannot connect to the primary");
        assertThat(waits.stream().mapToLong(Duration::toMillis).sum()).as("waited about the timeout").isBetween(5_000L, 5_500L);
    }

    @Test
    void aFailureNoWaitingFixesEndsAtOnce() {
        assertThatThrownBy(() -> reconnector(Duration.ofSeconds(60)).reconnect(() -> {
            throw new CaptureException(CaptureException.Kind.CONFIGURATION, "replication slot s does not exist");
        }, () -> cleanUps++)).hasMessageContaining("does not exist");
        assertThat(waits).isEmpty();
        assertThat(cleanUps).isEqualTo(1);
    }

    @Test
    void stoppingWhileWaitingEndsWithoutAnotherAttempt() throws Exception {
        int[] attempts = {0};
        Reconnector r = new Reconnector(clock, Duration.ofSeconds(60), wait -> true);
        assertThat(r.reconnect(() -> {
            attempts[0]++;
            throw unreachable();
        }, () -> { })).isFalse();
        assertThat(attempts[0]).isEqualTo(1);
    }
}
