package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class BoundedReadsTest {

    @Test
    void aBoundedReadHasNoGroupCommitsNothingAndDoesNotWaitAtTheEnd() {
        Map<String, Object> kafka = Map.of("bootstrap.servers", "k:9092", "group.id", "theirs", "enable.auto.commit", "true");
        Map<String, Object> p = BoundedReads.consumer(kafka, "sluice-test");
        assertThat(p).doesNotContainKey("group.id")
                .containsEntry("bootstrap.servers", "k:9092")
                .containsEntry("enable.auto.commit", "false")
                .containsEntry("client.id", "sluice-test")
                .containsEntry("fetch.max.wait.ms", "10");
        assertThat(kafka).as("the caller's settings untouched").containsEntry("group.id", "theirs");
    }

    @Test
    void aClientIdTheConfigurationGivesIsKept() {
        assertThat(BoundedReads.consumer(Map.of("client.id", "ops-named"), "sluice-test")).containsEntry("client.id", "ops-named");
    }
}
