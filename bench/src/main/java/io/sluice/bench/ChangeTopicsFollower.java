package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.verify.ChangeTopicVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.LocalPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code bench apply --kind topics}: the applier's follower is keyed change topics on the bench's
 * broker rather than a PostgreSQL database — its configuration and its check against the primary
 * (its watermark: {@link GroupWatermark}).
 */
final class ChangeTopicsFollower {

    private ChangeTopicsFollower() {
    }

    static ApplierConfig config(String name, Map<String, Object> kafka) {
        return ApplierConfig.of("bench", name, "change-topics", new java.util.Properties(), kafka)
                .withKind(ApplierConfig.Kind.TOPICS);
    }

    /** The configuration-file lines of a change-topics follower. */
    static String configLines(String name) {
        return "followers." + name + ".kind = topics\n";
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
}
