package io.sluice.bench;

import io.sluice.embedded.KafkaProcess;
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

/**
 * The end-to-end scenarios of {@code sluice bench} ({@link BenchCommand}): a backlog caught up and
 * latency at steady rates, each against native logical replication in the same run, with the
 * broker, capture and the applier in processes of their own, kept up across runs as deployed.
 */
final class EndToEndCommands {

    private EndToEndCommands() {
    }

    @Command(name = "catchup", mixinStandardHelpOptions = true,
            description = "A backlog of pgbench transactions caught up by the applier alone, by capture and applier end to end,"
                    + " and by native logical replication, in the same run.")
    static final class Catchup implements Callable<Integer> {
        @Mixin BenchCommand.Common common;

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
            int exit;
            try (KafkaProcess broker = KafkaProcess.start(base.resolve("kafka"), brokerOptions());
                 SluiceProcesses sluice = SluiceProcesses.start(base.resolve("sluice"))) {
                int warmups = noWarmup ? 0 : warmupRuns;
                exit = BenchCommand.Common.report(Harness.run("catchup", Map.of("scale", scale, "repeat", runs, "warmup_runs", warmups), runs,
                        warmups, i -> new CatchupBench(base.resolve("warmup" + (i == -1 ? "" : -i)), warmup, broker, sluice).run(),
                        i -> new CatchupBench(base.resolve("run" + i), sc, broker, sluice).run()), out);
            }
            return BenchCommand.Common.finish(base, exit);
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
        @Mixin BenchCommand.Common common;

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
            return BenchCommand.Common.finish(base, valid ? 0 : 1);
        }
    }
}
