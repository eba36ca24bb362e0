package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sluice bench <scenario>}: one subcommand per scenario, each with only its own options
 * (docs/benchmarks.md, "Scenarios"). Every scenario runs on embedded servers and checks each
 * follower against the primary; the scenario classes do the work, these only parse and report.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark scenario on embedded servers against native logical replication.",
        subcommands = {EndToEndCommands.Catchup.class, EndToEndCommands.Steady.class, BenchCommand.Snapshot.class,
                BenchCommand.Apply.class, BenchCommand.Capture.class, BenchCommand.BigTxn.class, BenchCommand.Ddl.class,
                BenchCommand.Consistency.class, BenchCommand.Durability.class, BenchCommand.Monitor.class,
                BenchCommand.MultiLeader.class})
public final class BenchCommand {

    /** What every scenario shares: the capture engine, a scratch directory, the machine line. */
    static final class Common {
        @Spec(Spec.Target.MIXEE)
        CommandSpec spec;

        @Option(names = "--engine", defaultValue = "pgoutput", description = "capture engine: pgoutput | debezium (default: ${DEFAULT-VALUE})")
        String engine;

        /** Applies the engine, prints the machine line and returns a fresh scratch directory. */
        Path start() throws Exception {
            try {
                BenchStack.useEngine(CaptureConfig.Engine.valueOf(engine.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--engine " + engine + ": expected pgoutput or debezium");
            }
            System.out.printf("java %s, %d cores, max heap %d MiB; PostgreSQL (zonky, fsync=off) and Kafka embedded; capture engine %s%n",
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() >> 20, engine);
            return Files.createTempDirectory("sluice-bench-");
        }

        /**
         * Returns {@code exit}, having deleted, when it is 0, the topics of every broker the scenario ran in {@code scratch}
         * (hundreds of MB a catch-up): each scenario's directory is new, so nothing reads them again. Its logs and plots stay;
         * after a failure everything stays, for a look.
         */
        static int finish(Path scratch, int exit) throws java.io.IOException {
            if (exit != 0) {
                System.out.println("scratch directory kept: " + scratch);
                return exit;
            }
            List<Path> brokers;
            try (var dirs = Files.walk(scratch)) {
                brokers = dirs.filter(io.sluice.embedded.LocalKafka::isLogDirectory).toList();
            }
            for (Path broker : brokers) {
                io.sluice.embedded.LocalKafka.deleteData(broker);
            }
            return exit;
        }

        int repeat(int repeat) {
            if (repeat < 1) {
                throw new ParameterException(spec.commandLine(), "--repeat must be at least 1");
            }
            return repeat;
        }

        /** Prints the summary table (and writes the JSON); exit 1 when a follower differed. */
        static int report(Map<String, Object> result, Path out) throws Exception {
            System.out.println(Harness.markdown(result));
            if (out != null) {
                Harness.write(result, out);
                System.out.println("results: " + out);
            }
            return Boolean.TRUE.equals(result.get("valid")) ? 0 : 1;
        }
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true,
            description = "The initial copy of a populated primary: through the stream, by the direct path, and native copy_data, every follower compared.")
    static final class Snapshot implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--accounts", defaultValue = "100000", description = "pgbench_accounts rows (default: ${DEFAULT-VALUE})")
        int accounts;

        @Option(names = "--repeat", defaultValue = "1", description = "measured runs (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--out", paramLabel = "FILE", description = "write the results as JSON here")
        Path out;

        @Override
        public Integer call() throws Exception {
            int runs = common.repeat(repeat);
            Path base = common.start();
            return Common.finish(base, Common.report(Harness.run("snapshot", Map.of("accounts", accounts, "repeat", runs), runs, null,
                    i -> new SnapshotBench(base.resolve("run" + i), accounts).run()), out));
        }
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "The applier alone on a backlog already on the stream, against native logical replication.")
    static final class Apply implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--transactions", defaultValue = "20000", description = "backlog transactions (default: ${DEFAULT-VALUE})")
        int transactions;

        @Option(names = "--accounts", defaultValue = "100000", description = "pgbench_accounts rows (default: ${DEFAULT-VALUE})")
        int accounts;

        @Option(names = "--kind", defaultValue = "postgresql", description = "the followers' kind: postgresql, topics (keyed change"
                + " topics on the bench's broker) or duckdb (default: ${DEFAULT-VALUE})")
        String kind;

        @Option(names = "--passes", defaultValue = "2", description = "appliers run one after another in one JVM, each onto its own"
                + " follower, after one in a process of its own; the first in the JVM is cold (default: ${DEFAULT-VALUE})")
        int passes;

        @Override
        public Integer call() throws Exception {
            ApplierConfig.Kind k;
            try {
                k = ApplierConfig.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(common.spec.commandLine(), "--kind " + kind + ": expected postgresql, topics or duckdb");
            }
            Path dir = common.start();
            System.out.println(ApplyBench.report(new ApplyBench(dir, transactions, accounts, passes, k).run()));
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "capture", mixinStandardHelpOptions = true,
            description = "Capture alone: sustained events/s to Kafka acknowledgement, then commit-to-ack latency at a fixed rate.")
    static final class Capture implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--transactions", defaultValue = "20000", description = "backlog transactions (default: ${DEFAULT-VALUE})")
        int transactions;

        @Option(names = "--rows", defaultValue = "5", description = "rows per backlog transaction (default: ${DEFAULT-VALUE})")
        int rows;

        @Option(names = "--rate", defaultValue = "500", description = "transactions/s for the latency phase (default: ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--seconds", defaultValue = "10", description = "length of the latency phase (default: ${DEFAULT-VALUE})")
        int seconds;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(CaptureBench.report(new CaptureBench(dir, transactions, rows, rate, Duration.ofSeconds(seconds)).run()));
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "bigtxn", mixinStandardHelpOptions = true,
            description = "One transaction of N rows through capture to Kafka, streamed by the primary and held to its commit, with the JVM's peak heap.")
    static final class BigTxn implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--rows", defaultValue = "1000000", description = "rows in the one transaction (default: ${DEFAULT-VALUE})")
        int rows;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(new BigTxnBench(dir, rows).run());
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "ddl", mixinStandardHelpOptions = true,
            description = "What capture's DDL triggers cost the primary: CREATE and ALTER TABLE timed with them and without.")
    static final class Ddl implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--existing", defaultValue = "500", description = "tables each database holds first (default: ${DEFAULT-VALUE})")
        int existing;

        @Option(names = "--tables", defaultValue = "200", description = "tables created and altered, timed (default: ${DEFAULT-VALUE})")
        int tables;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(new DdlBench(dir, existing, tables).run());
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "consistency", aliases = "ryw", mixinStandardHelpOptions = true,
            description = "Read-your-writes: the latency each durability level adds to a write, and how long after commit a token wait ends.")
    static final class Consistency implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--writes", defaultValue = "500", description = "sequential writes per durability level (default: ${DEFAULT-VALUE})")
        int writes;

        @Option(names = "--seconds", defaultValue = "10", description = "length of the token-wait phase (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--no-warmup", description = "skip the warm-up phase")
        boolean noWarmup;

        @Option(names = "--warmup-seconds", defaultValue = "120", description = "seconds the pipeline runs at 1,000 writes/s with token"
                + " waits before anything is measured (default: ${DEFAULT-VALUE})")
        int warmupSeconds;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            Duration warmup = noWarmup ? Duration.ZERO : Duration.ofSeconds(warmupSeconds);
            System.out.println(new ConsistencyBench(dir, writes, Duration.ofSeconds(seconds), warmup).run());
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "durability", mixinStandardHelpOptions = true,
            description = "Capture as the primary's synchronous standby: what a commit durable in Kafka costs against synchronous_commit = local.")
    static final class Durability implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--writes", defaultValue = "500", description = "sequential writes per durability level (default: ${DEFAULT-VALUE})")
        int writes;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(new DurabilityBench(dir, writes).run());
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "monitor", mixinStandardHelpOptions = true,
            description = "The lag monitor's own cost: what it issues to the primary, the followers and Kafka per second, and its CPU.")
    static final class Monitor implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--followers", defaultValue = "10", description = "followers watched (default: ${DEFAULT-VALUE})")
        int followers;

        @Option(names = "--rate", defaultValue = "500", description = "transactions/s written meanwhile (default: ${DEFAULT-VALUE})")
        int rate;

        @Option(names = "--seconds", defaultValue = "10", description = "length of the run (default: ${DEFAULT-VALUE})")
        int seconds;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(new MonitorBench(dir, followers, rate, Duration.ofSeconds(seconds)).run());
            return Common.finish(dir, 0);
        }
    }

    @Command(name = "multileader", mixinStandardHelpOptions = true,
            description = "Two leaders: the apply rate with conflict detection against a plain follower, and after both updated"
                    + " the same keys with the link cut, the time to converge and the conflicts resolved per second.")
    static final class MultiLeader implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--rows", defaultValue = "2000", description = "rows on each leader, each updated on both while the link"
                + " is cut (default: ${DEFAULT-VALUE})")
        int rows;

        @Option(names = "--transactions", defaultValue = "20000", description = "the backlog applied with and without conflict"
                + " detection (default: ${DEFAULT-VALUE})")
        int transactions;

        @Override
        public Integer call() throws Exception {
            Path dir = common.start();
            System.out.println(new MultiLeaderBench(dir, rows, transactions).run());
            return Common.finish(dir, 0);
        }
    }

    private BenchCommand() {
    }
}
