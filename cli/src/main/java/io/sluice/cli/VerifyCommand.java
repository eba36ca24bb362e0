package io.sluice.cli;

import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.verify.ChangeTopicVerifier;
import io.sluice.verify.DuckDbVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice verify}: compares followers with the primary, table by table; exit 0 only when all are equal. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare each follower with the primary at a consistent point, table by table (chunked hashes);"
                + " exit 0 only when every table is equal.")
final class VerifyCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file")
    Path config;

    @Option(names = "--follower", paramLabel = "NAME", description = "only this follower (default: all)")
    String follower;

    @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "only this table (default: every table of the primary)")
    List<String> tables;

    @Option(names = "--chunk-rows", defaultValue = "10000", description = "rows per hashed chunk (default: ${DEFAULT-VALUE})")
    int chunkRows;

    @Option(names = "--retries", defaultValue = "5", description = "re-compare a differing chunk this often, from fresh"
            + " snapshots, before reporting it (default: ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--wait", defaultValue = "10s", converter = DurationConverter.class,
            description = "how long a re-compare waits for the follower to pass the primary's snapshot (default: ${DEFAULT-VALUE})")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        SluiceConfig cfg;
        try {
            cfg = new ConfigParser().parse(config);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        if (cfg.primary().embedded()) {
            System.err.println("sluice verify compares real servers: primary.url is 'embedded' (the demo verifies its own at the end)");
            return 2;
        }
        List<SluiceConfig.Follower> targets = new ArrayList<>();
        for (SluiceConfig.Follower f : cfg.followers().values()) {
            if (follower == null || f.name().equals(follower)) {
                if (f.isDatabase() && f.endpoint().embedded()) {
                    System.err.println("followers." + f.name() + ".url is 'embedded'; sluice verify compares real servers");
                    return 2;
                }
                targets.add(f);
            }
        }
        if (targets.isEmpty()) {
            System.err.println(follower == null ? "no followers configured"
                    : "--follower " + follower + ": no such follower; configured: " + cfg.followers().keySet());
            return 2;
        }
        if (chunkRows < 1 || retries < 0) {
            System.err.println("--chunk-rows must be at least 1 and --retries at least 0");
            return 2;
        }
        JdbcDataSource primary = new JdbcDataSource(cfg.primary().jdbcUrl(), cfg.primary().driverProperties());
        boolean equal = true;
        if (cfg.kafka().embedded() && targets.stream().anyMatch(f -> f.kind() == io.sluice.applier.ApplierConfig.Kind.TOPICS)) {
            System.err.println("kafka.bootstrap.servers is 'embedded'; sluice verify reads change topics on a real Kafka");
            return 2;
        }
        for (SluiceConfig.Follower f : targets) {
            List<String> chosen = tables;
            if (chosen == null || chosen.isEmpty()) {
                chosen = cfg.capture().tables().isEmpty() ? Verifier.tables(primary) : cfg.capture().tables();
            } else {
                List<String> known = Verifier.tables(primary);
                for (String t : chosen) {
                    if (!known.contains(t)) {
                        System.err.println("--table " + t + ": no such table on the primary; tables: " + known);
                        return 2;
                    }
                }
            }
            Verifier.Report report = f.isDatabase()
                    ? new Verifier(primary, new JdbcDataSource(f.endpoint().jdbcUrl(), f.endpoint().driverProperties()),
                            cfg.sourceId(), chunkRows, retries, wait).verify(chosen)
                    : f.file() != null ? new DuckDbVerifier(primary, f.file(), retries, wait).verify(chosen)
                    : new ChangeTopicVerifier(primary, cfg.kafka().clientProperties(cfg.kafka().bootstrapServers()), cfg.sourceId(),
                            f.name(), retries, wait).verify(chosen);
            equal &= print(f.name(), report, System.out);
        }
        System.out.println(equal ? "verify: every follower equals the primary." : "verify: DIFFERENCES found.");
        return equal ? 0 : 1;
    }

    static boolean print(String follower, Verifier.Report report, PrintStream out) {
        for (Verifier.TableResult t : report.tables()) {
            out.printf("follower %s %-30s %s (primary %d rows, follower %d rows, %d chunk(s))%n", follower, t.table(),
                    t.equal() ? "EQUAL" : "DIFFERS", t.primaryRows(), t.followerRows(), t.chunks());
            t.differences().forEach(d -> out.println("    " + d));
        }
        return report.equal();
    }
}
