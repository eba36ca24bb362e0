package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.follower.Watermark;
import io.sluice.format.AppliedOffset;
import io.sluice.format.ChangeTopicRecords;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change-topics follower's admin client: reads its watermark back from the applier group's
 * committed offset ({@code requireStable}, so an open transaction's offset is never taken) and
 * creates its tables' topics, compacted, once each. Thread-safe.
 */
final class ChangeTopicAdmin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeTopicAdmin.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final ApplierConfig config;
    private final TopicPartition stream;
    private final String group;
    private final Admin admin;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();

    ChangeTopicAdmin(ApplierConfig config, TopicPartition stream, String group) {
        this.config = config;
        this.stream = stream;
        this.group = group;
        this.admin = Admin.create(new HashMap<>(config.kafka()));
    }

    /** The follower's watermark: its applier group's committed stream offset and that offset's metadata. */
    Optional<Watermark> watermark() {
        OffsetAndMetadata om;
        try {
            om = admin.listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions().requireStable(true))
                    .partitionsToOffsetAndMetadata().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(stream);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw TopicTransactions.failure(config, "cannot read the watermark (group " + group + "'s offset)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApplierException("interrupted while reading the watermark", true, e);
        }
        if (om == null || !AppliedOffset.is(om.metadata())) {
            return Optional.empty();
        }
        return Optional.of(Watermark.fromOffset(AppliedOffset.parse(om.metadata()), om.offset()));
    }

    /** Creates a table's topic, compacted, unless it exists. */
    void ensureTopic(String topic) {
        if (topics.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of("cleanup.policy", "compact",
                            "max.message.bytes", String.valueOf(ChangeTopicRecords.MAX_RECORD_BYTES))))).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("follower {}: created change topic {}", config.followerName(), topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw TopicTransactions.failure(config, "cannot create change topic " + topic, e);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw TopicTransactions.failure(config, "cannot create change topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApplierException("interrupted while creating change topic " + topic, true, e);
        }
        topics.add(topic);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
