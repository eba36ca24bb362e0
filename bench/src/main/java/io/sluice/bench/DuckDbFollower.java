package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.DuckDbSeed;
import io.sluice.verify.DuckDbVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code bench apply --kind duckdb}: the applier's follower is a DuckDB file — its configuration,
 * its seed (the bench's tables as the primary held them before the backlog, loaded from a seeded
 * PostgreSQL follower) and its check against the primary (its watermark while a process of its own
 * holds the file: {@link GroupWatermark}).
 */
final class DuckDbFollower {

    private DuckDbFollower() {
    }

    static Path file(Path dir, String name) {
        return dir.resolve(name + ".duckdb");
    }

    static ApplierConfig config(Path dir, String name, Map<String, Object> kafka) {
        return ApplierConfig.of("bench", name, "jdbc:duckdb:" + file(dir, name), new java.util.Properties(), kafka)
                .withKind(ApplierConfig.Kind.DUCKDB);
    }

    /** The configuration-file lines of a DuckDB follower. */
    static String configLines(Path dir, String name) {
        return "followers." + name + ".kind = duckdb\nfollowers." + name + ".file = " + file(dir, name) + "\n";
    }

    /** Loads the tables of {@code seeded} (loaded as the primary was before the backlog) into the follower's file. */
    static void seed(LocalPostgres seeded, Path dir, String name, List<String> tables) throws Exception {
        try (Connection pg = seeded.connect()) {
            DuckDbSeed.load(pg, "jdbc:duckdb:" + file(dir, name), "bench", tables.stream().map(TableId::parse).toList());
        }
    }

    /** Fails the run unless every table of the file holds exactly the primary's rows. */
    static void requireEqual(LocalPostgres primary, Path dir, String name, List<String> tables) throws Exception {
        Verifier.Report report = new DuckDbVerifier(new JdbcDataSource(primary.jdbcUrl(), BenchStack.superuser()), file(dir, name), 0,
                Duration.ZERO).verify(tables);
        if (!report.equal()) {
            throw new IllegalStateException("void run: the DuckDB file of " + name + " differs from the primary: " + report);
        }
    }
}
