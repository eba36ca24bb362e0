package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import io.sluice.embedded.KafkaProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
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
        subcommands = {BenchCommand.Catchup.class, BenchCommand.Steady.class, BenchCommand.Snapshot.class,
                BenchCommand.Apply.class, BenchCommand.Capture.class, BenchCommand.BigTxn.class,
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

    @Command(name = "catchup", mixinStandardHelpOptions = true,
            description = "A backlog of pgbench transactions caught up by the applier alone, by capture and applier end to end,"
                    + " and by native logical replication, in the same run.")
    static final class Catchup implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--scale", defaultValue = "small", description = "tiny | small | medium | large (1,000,001 row events) (default: ${DEFAULT-VALUE})")
        String scale;

        @Option(names = "--repeat", defaultValue = "1", description = "measured runs, after the discarded warm-up runs (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--no-warmup", description = "skip the discarded warm-up run")
        boolean noWarmup;

        @Option(names = "--warmup-runs", defaultValue = "1", description = "discarded warm-up runs before the measured ones"
                + " (default: ${DEFAULT-VALUE})")
        int warmupRuns;

        @Option(names = "--out", paramLabel = "FILE", description = "write the results as JSON here")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (warmupRuns < 0) {
                throw new ParameterException(common.spec.commandLine(), "--warmup-runs " + warmupRuns + ": expected 0 or more");
            }
            CatchupBench.Scale sc;
            try {
                sc = CatchupBench.Scale.valueOf(scale.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(common.spec.commandLine(), "--scale " + scale + ": expected tiny, small, medium or large");
            }
            int runs = common.repeat(repeat);
            Path base = common.start();
            // The warm-up run is a small backlog (a tiny one for a tiny scale): enough for the JIT to
            // compile capture's and the applier's paths, without a large run's minutes again.
            CatchupBench.Scale warmup = sc.compareTo(CatchupBench.Scale.SMALL) < 0 ? sc : CatchupBench.Scale.SMALL;
            // One broker, capture and applier for every run, each a process of its own, kept up as deployed.
            try (KafkaProcess broker = KafkaProcess.start(base.resolve("kafka"), brokerOptions());
                 SluiceProcesses sluice = SluiceProcesses.start(base.resolve("sluice"))) {
                int warmups = noWarmup ? 0 : warmupRuns;
                return Common.report(Harness.run("catchup", Map.of("scale", scale, "repeat", runs, "warmup_runs", warmups), runs,
                        warmups, i -> new CatchupBench(base.resolve("warmup" + (i == -1 ? "" : -i)), warmup, broker, sluice).run(),
                        i -> new CatchupBench(base.resolve("run" + i), sc, broker, sluice).run()), out);
            }
        }
    }

    /** The broker JVM's options: a 1 GiB heap, and whatever {@code SLUICE_BENCH_BROKER_JAVA_OPTS} adds (a flight recording, say). */
    private static List<String> brokerOptions() {
        List<String> options = new java.util.ArrayList<>(List.of("-Xmx1g"));
        options.addAll(ChildJvm.options("SLUICE_BENCH_BROKER_JAVA_OPTS"));
        return options;
    }

    @Command(name = "steady", mixinStandardHelpOptions = true,
            description = "End-to-end latency at fixed write rates, Sluice and native in the same run, with the CPU used.")
    static final class Steady implements Callable<Integer> {
        @Mixin Common common;

        @Option(names = "--rates", defaultValue = "500,2000", split = ",", description = "writes/s, 0 = as fast as 4 clients go (default: ${DEFAULT-VALUE})")
        List<Integer> rates;

        @Option(names = "--seconds", defaultValue = "10", description = "measured seconds per rate and run (default: ${DEFAULT-VALUE})")
        int seconds;

        @Option(names = "--repeat", defaultValue = "1", description = "measured runs per rate (default: ${DEFAULT-VALUE})")
        int repeat;

        @Option(names = "--no-warmup", description = "skip the warm-up as fast as the clients go")
        boolean noWarmup;

        @Option(names = "--warmup-seconds", defaultValue = "120", description = "seconds as fast as 4 clients write before the first"
                + " rate (default: ${DEFAULT-VALUE})")
        int warmupSeconds;

        @Option(names = "--settle-seconds", defaultValue = "30", description = "seconds each run writes at its rate before it is"
                + " measured, in the pipeline it then measures (default: ${DEFAULT-VALUE})")
        int settleSeconds;

        @Option(names = "--out", paramLabel = "FILE", description = "write the results as JSON here (plots next to it)")
        Path out;

        @Override
        public Integer call() throws Exception {
            int runs = common.repeat(repeat);
            Path base = common.start();
            Map<String, Object> all = new LinkedHashMap<>();
            boolean valid = true;
            try (KafkaProcess broker = KafkaProcess.start(base.resolve("kafka"), brokerOptions());
                 SluiceProcesses sluice = SluiceProcesses.start(base.resolve("sluice"))) {
                if (!noWarmup) {
                    // Until the JIT compilers have settled, in the services' JVMs and the broker's, they are
                    // most of the CPU a steady rate uses; as fast as the clients go compiles most of the code
                    // soonest. Each run then settles at its own rate before it is measured.
                    System.out.printf("warm-up (discarded): %d s as fast as 4 clients write ...%n", warmupSeconds);
                    new SteadyBench(base.resolve("warmup"), 0, Duration.ZERO, Duration.ofSeconds(warmupSeconds), null, broker, sluice).run();
                }
                for (int r : rates) {
                    Path plot = out == null ? base.resolve("steady-" + r + ".svg")
                            : out.toAbsolutePath().resolveSibling(out.getFileName().toString().replaceAll("\\.json$", "") + "-" + r + ".svg");
                    Map<String, Object> result = Harness.run("steady", Map.of("rate", r, "seconds", seconds, "settle_seconds", settleSeconds,
                                    "repeat", runs), runs, null,
                            i -> new SteadyBench(base.resolve("run-" + r + "-" + i), r, Duration.ofSeconds(settleSeconds),
                                    Duration.ofSeconds(seconds), plot, broker, sluice).run());
                    System.out.println(Harness.markdown(result));
                    System.out.println("latency over time: " + plot);
                    valid &= Boolean.TRUE.equals(result.get("valid"));
                    all.put("rate_" + r, result);
                }
            }
            if (out != null) {
                Harness.write(all, out);
                System.out.println("results: " + out);
            }
            return valid ? 0 : 1;
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
            return Common.report(Harness.run("snapshot", Map.of("accounts", accounts, "repeat", runs), runs, null,
                    i -> new SnapshotBench(base.resolve("run" + i), accounts).run()), out);
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
            return 0;
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
            return 0;
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
            return 0;
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
            return 0;
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
            return 0;
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
            return 0;
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
            return 0;
        }
    }

    private BenchCommand() {
    }
}
