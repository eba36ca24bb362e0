package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;
import io.sluice.format.follower.JdbcDataSource;
import org.junit.jupiter.api.Test;

class DurabilityLevelsTest {

    @Test
    void durabilityLevelsNeedEnoughSyncFollowers() {
        // Nothing listens on port 1: the watches stay down, which the level check does not depend on.
        JdbcDataSource nowhere = new JdbcDataSource("jdbc:postgresql://127.0.0.1:1/none", new Properties());
        try (SluiceClient client = SluiceClient.builder("app").follower("east", nowhere, true)
                .follower("west", nowhere, false).build()) {
            assertThatThrownBy(() -> client.commit(null, Durability.quorum(2), Duration.ZERO))
                    .hasMessage("QUORUM(2) needs 2 sync followers; configured sync: [east]");
        }
    }
}
