package io.sluice.cli.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.cli.verify.ChangeTopicVerifier;
import io.sluice.cli.verify.Verifier;
import io.sluice.client.JdbcDataSource;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.AppliedOffset;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code bench apply --kind topics}: the applier's follower is keyed change topics on the bench's
 * broker rather than a PostgreSQL database — its configuration, its watermark (the applier group's
 * offset metadata, read on one admin client) and its check against the primary.
 */
final class ChangeTopicsFollower implements AutoCloseable {

    private final Admin admin;
    private final String group;
    private final TopicPartition stream = new TopicPartition(TopicNames.stream("bench"), 0);

    ChangeTopicsFollower(Map<String, Object> kafka, String name) {
        this.admin = Admin.create(kafka);
        this.group = TopicNames.applierGroup("bench", name);
    }

    static ApplierConfig config(String name, Map<String, Object> kafka) {
        return ApplierConfig.of("bench", name, "change-topics", new java.util.Properties(), kafka)
                .withKind(ApplierConfig.Kind.TOPICS);
    }

    /** The configuration-file lines of a change-topics follower. */
    static String configLines(String name) {
        return "followers." + name + ".kind = topics\n";
    }

    /** The commit LSN the follower has applied up to; {@link Lsn#ZERO} before its first commit. */
    Lsn applied() throws Exception {
        OffsetAndMetadata om = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).get(stream);
        return om == null || !AppliedOffset.is(om.metadata()) ? Lsn.ZERO : AppliedOffset.parse(om.metadata()).commitLsn();
    }

    /**
     * Fails the run unless every table's topic, over the rows the bench's tables held before the
     * backlog ({@code seeded}: a follower loaded as the primary was, never applied to), holds exactly
     * the primary's rows.
     */
    static void requireEqual(LocalPostgres primary, LocalPostgres seeded, Map<String, Object> kafka, String name, List<String> tables)
            throws Exception {
        Verifier.Report report = new ChangeTopicVerifier(new JdbcDataSource(primary.jdbcUrl(), BenchStack.superuser()), kafka,
                "bench", name, 0, Duration.ZERO).startingFrom(new JdbcDataSource(seeded.jdbcUrl(), BenchStack.superuser()))
                .verify(tables);
        if (!report.equal()) {
            throw new IllegalStateException("void run: the change topics of " + name + " differ from the primary: " + report);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
