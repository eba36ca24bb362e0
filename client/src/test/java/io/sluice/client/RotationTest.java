package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** Read rotation, check by check: no client, no sockets, no clock — each check reads the staleness it is given. */
class RotationTest {

    private final Map<String, Double> staleness = new HashMap<>(Map.of("east", 0.0, "west", 0.0));
    private final ReadRotation rotation = new ReadRotation(List.of("east", "west"),
            f -> staleness.containsKey(f) ? OptionalDouble.of(staleness.get(f)) : OptionalDouble.empty(), Duration.ofSeconds(60));

    @Test
    void aFollowerPastMaxStalenessLeavesReadRotationAndComesBackWhenCaughtUp() {
        assertThat(rotation.check()).isEmpty();
        staleness.put("west", 75.0);
        List<ReadRotation.Change> out = rotation.check();
        assertThat(out).extracting(ReadRotation.Change::kind, ReadRotation.Change::follower)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("rotation_out", "west"));
        assertThat(out.get(0).message()).isEqualTo("follower west out of read rotation: staleness 75.0 s > 60 s");
        assertThat(rotation.outOfRotation()).containsExactly("west");
        assertThat(rotation.check()).as("still past the bound: no second change").isEmpty();

        staleness.put("west", 20.0); // better, but not caught up: stays out (hysteresis)
        assertThat(rotation.check()).isEmpty();
        assertThat(rotation.isOut("west")).as("20 s is not caught up").isTrue();

        staleness.put("west", 0.2);
        assertThat(rotation.check()).extracting(ReadRotation.Change::kind).containsExactly("rotation_in");
        assertThat(rotation.outOfRotation()).isEmpty();
    }

    @Test
    void theBackBoundIsHalfTheMaximumButAtMostOneSecond() {
        ReadRotation tight = new ReadRotation(List.of("east"), f -> OptionalDouble.of(staleness.get(f)), Duration.ofMillis(1500));
        staleness.put("east", 1.6);
        assertThat(tight.check()).extracting(ReadRotation.Change::kind).containsExactly("rotation_out");
        staleness.put("east", 0.8); // under 1 s, not under 0.75 s
        assertThat(tight.check()).isEmpty();
        staleness.put("east", 0.7);
        assertThat(tight.check()).extracting(ReadRotation.Change::kind).containsExactly("rotation_in");
    }

    @Test
    void aFollowerWhoseStalenessIsUnknownKeepsItsPlace() {
        staleness.put("west", 75.0);
        rotation.check();
        staleness.remove("west");
        assertThat(rotation.check()).isEmpty();
        assertThat(rotation.outOfRotation()).containsExactly("west");
        staleness.remove("east");
        assertThat(rotation.check()).isEmpty();
        assertThat(rotation.isOut("east")).isFalse();
    }
}
