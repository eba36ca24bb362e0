package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RotationTest {

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aFollowerPastMaxStalenessLeavesReadRotationAndComesBackWhenCaughtUp() throws Exception {
        Map<String, Double> staleness = new ConcurrentHashMap<>(Map.of("east", 0.0, "west", 0.0));
        List<SluiceClient.Event> events = new CopyOnWriteArrayList<>();
        // Nothing listens on port 1: the watches stay down, which rotation does not depend on.
        JdbcDataSource nowhere = new JdbcDataSource("jdbc:postgresql://127.0.0.1:1/none", new Properties());
        try (SluiceClient client = SluiceClient.builder("app").follower("east", nowhere, false)
                .follower("west", nowhere, false)
                .rotation(f -> OptionalDouble.of(staleness.get(f)), Duration.ofSeconds(60))
                .listener(events::add).build()) {
            staleness.put("west", 75.0);
            awaitTrue("west out of rotation", () -> client.outOfRotation().contains("west"));
            assertThat(client.outOfRotation()).containsExactly("west");
            staleness.put("west", 20.0); // better, but not caught up: stays out (hysteresis)
            long checks = client.metrics().get("rotation_checks");
            awaitTrue("two more rotation checks", () -> client.metrics().get("rotation_checks") >= checks + 2);
            assertThat(client.outOfRotation()).as("20 s is not caught up").containsExactly("west");
            staleness.put("west", 0.2);
            awaitTrue("west back in rotation", () -> client.outOfRotation().isEmpty());
            assertThat(events).extracting(SluiceClient.Event::kind).containsExactly("rotation_out", "rotation_in");
            assertThat(events.get(0).message()).contains("west out of read rotation: staleness 75.0 s > 60 s");
            assertThat(client.metrics()).containsEntry("rotation_out", 1L).containsEntry("rotation_in", 1L);
        }
    }

    @Test
    void durabilityLevelsNeedEnoughSyncFollowers() {
        JdbcDataSource nowhere = new JdbcDataSource("jdbc:postgresql://127.0.0.1:1/none", new Properties());
        try (SluiceClient client = SluiceClient.builder("app").follower("east", nowhere, true)
                .follower("west", nowhere, false).build()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.commit(null, Durability.quorum(2), Duration.ZERO))
                    .hasMessage("QUORUM(2) needs 2 sync followers; configured sync: [east]");
        }
    }
}
