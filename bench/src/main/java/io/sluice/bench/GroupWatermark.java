package io.sluice.bench;

import io.sluice.format.AppliedOffset;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The watermark of a bench follower the bench cannot read in its store — change topics, or a
 * DuckDB file its applier process holds: the applier group's offset metadata ({@link AppliedOffset}),
 * read on one admin client.
 */
final class GroupWatermark implements AutoCloseable {

    private final Admin admin;
    private final String group;
    private final TopicPartition stream = new TopicPartition(TopicNames.stream("bench"), 0);

    GroupWatermark(Map<String, Object> kafka, String name) {
        this.admin = Admin.create(kafka);
        this.group = TopicNames.applierGroup("bench", name);
    }

    /** The commit LSN the follower has applied up to; {@link Lsn#ZERO} before its first commit. */
    Lsn applied() throws Exception {
        OffsetAndMetadata om = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).get(stream);
        return om == null || !AppliedOffset.is(om.metadata()) ? Lsn.ZERO : AppliedOffset.parse(om.metadata()).commitLsn();
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
