package io.sluice.cli;

import io.sluice.cli.bench.ApplyBench;
import io.sluice.cli.bench.BigTxnBench;
import io.sluice.cli.bench.CaptureBench;
import io.sluice.cli.bench.CatchupBench;
import io.sluice.cli.bench.ConsistencyBench;
import io.sluice.cli.bench.DurabilityBench;
import io.sluice.cli.bench.Harness;
import io.sluice.cli.bench.SluiceProcesses;
import io.sluice.cli.bench.SteadyBench;
import io.sluice.cli.bench.MonitorBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice bench <scenario>}: measurements on the embedded stack. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark scenario on embedded servers: catchup, steady, snapshot, ryw, bigtxn, capture, apply, monitor, consistency, durability.")
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "SCENARIO", description = "catchup | steady | snapshot | ryw | bigtxn | capture | apply | monitor | consistency | durability")
    String scenario;

    @Option(names = "--engine", defaultValue = "pgoutput", description = "capture engine: pgoutput | debezium (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--transactions", defaultValue = "20000", description = "backlog transactions (default: ${DEFAULT-VALUE})")
    int transactions;

    @Option(names = "--rows", defaultValue = "5", description = "rows per backlog transaction (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--rate", defaultValue = "500", description = "transactions/s for the latency phase (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--seconds", defaultValue = "10", description = "length of the latency phase (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--big-rows", defaultValue = "1000000", description = "bigtxn: rows in the one transaction (default: ${DEFAULT-VALUE})")
    int bigRows;

    @Option(names = "--accounts", defaultValue = "100000", description = "apply, snapshot: pgbench_accounts rows (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--kind", defaultValue = "postgresql", description = "apply: the followers' kind, postgresql, topics or duckdb"
            + " (keyed change topics on the bench's broker; default: ${DEFAULT-VALUE})")
    String kind;

    @Option(names = "--passes", defaultValue = "2", description = "apply: appliers run one after another in one JVM, each onto"
            + " its own follower, after one in a process of its own; the first in the JVM is cold (default: ${DEFAULT-VALUE})")
    int passes;

    @Option(names = "--scale", defaultValue = "small", description = "catchup: tiny | small | medium | large (1,000,001 row events) (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--repeat", defaultValue = "1", description = "catchup, steady: measured runs, after one discarded warm-up (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--no-warmup", description = "skip the discarded warm-up run (consistency, ryw: the warm-up phase)")
    boolean noWarmup;

    @Option(names = "--rates", defaultValue = "500,2000", split = ",", description = "steady: writes/s, 0 = as fast as 4 clients go (default: ${DEFAULT-VALUE})")
    List<Integer> rates;

    @Option(names = "--out", paramLabel = "FILE", description = "catchup, steady: write the results as JSON here (plots next to it)")
    Path out;

    @Option(names = "--writes", defaultValue = "500", description = "consistency: sequential writes per durability level (default: ${DEFAULT-VALUE})")
    int writes;

    @Option(names = "--followers", defaultValue = "10", description = "monitor: followers watched (default: ${DEFAULT-VALUE})")
    int followers;

    @Option(names = "--warmup-seconds", defaultValue = "120", description = "consistency, ryw, steady: seconds the pipeline runs"
            + " before anything is measured — consistency, ryw: at 1,000 writes/s with token waits; steady: as fast as 4 clients"
            + " write, once before the first rate, then 20 s discarded at each rate (default: ${DEFAULT-VALUE})")
    int warmupSeconds;

    /** consistency, ryw: how long the pipeline runs before anything is measured. */
    private Duration consistencyWarmup() {
        return noWarmup ? Duration.ZERO : Duration.ofSeconds(warmupSeconds);
    }

    private int report(Map<String, Object> result) throws Exception {
        System.out.println(Harness.markdown(result));
        if (out != null) {
            Harness.write(result, out);
            System.out.println("results: " + out);
        }
        return Boolean.TRUE.equals(result.get("valid")) ? 0 : 1;
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("catchup", "steady", "snapshot", "ryw", "capture", "apply", "bigtxn", "monitor", "consistency", "durability").contains(scenario)) {
            System.err.println("unknown scenario '" + scenario + "'; known: catchup, steady, snapshot, ryw, bigtxn, capture, apply, monitor, consistency, durability");
            return 2;
        }
        try {
            io.sluice.cli.bench.BenchStack.useEngine(io.sluice.capture.CaptureConfig.Engine.valueOf(engine.toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            System.err.println("--engine " + engine + ": expected pgoutput or debezium");
            return 2;
        }
        Path dir = Files.createTempDirectory("sluice-bench-");
        System.out.printf("java %s, %d cores, max heap %d MiB; PostgreSQL (zonky, fsync=off) and Kafka embedded; capture engine %s%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, engine);
        if (scenario.equals("bigtxn")) {
            System.out.println(new BigTxnBench(dir, bigRows).run());
            return 0;
        }
        if (repeat < 1) {
            System.err.println("--repeat must be at least 1");
            return 2;
        }
        if (scenario.equals("catchup")) {
            CatchupBench.Scale sc;
            try {
                sc = CatchupBench.Scale.valueOf(scale.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("--scale " + scale + ": expected tiny, small, medium or large");
                return 2;
            }
            Path base = dir;
            // The warm-up run is a small backlog (a tiny one for a tiny scale): enough for the JIT to
            // compile capture's and the applier's paths, without a large run's minutes again.
            CatchupBench.Scale warmup = sc.compareTo(CatchupBench.Scale.SMALL) < 0 ? sc : CatchupBench.Scale.SMALL;
            // One broker for every run, in a process of its own, as a deployment keeps Kafka running.
            // Capture and the applier as deployed: a process each, kept up across the runs like the broker.
            try (io.sluice.embedded.KafkaProcess broker = io.sluice.embedded.KafkaProcess.start(base.resolve("kafka"), List.of("-Xmx1g"));
                 SluiceProcesses sluice = SluiceProcesses.start(base.resolve("sluice"))) {
                Map<String, Object> result = Harness.run("catchup", Map.of("scale", scale, "repeat", repeat), repeat,
                        noWarmup ? null : i -> new CatchupBench(base.resolve("warmup"), warmup, broker, sluice).run(),
                        i -> new CatchupBench(base.resolve("run" + i), sc, broker, sluice).run());
                return report(result);
            }
        }
        if (scenario.equals("steady")) {
            Path base = dir;
            Map<String, Object> all = new java.util.LinkedHashMap<>();
            boolean valid = true;
            // One broker for every run, in a process of its own, as a deployment keeps Kafka running.
            try (io.sluice.embedded.KafkaProcess broker = io.sluice.embedded.KafkaProcess.start(base.resolve("kafka"), List.of("-Xmx1g"));
                 SluiceProcesses sluice = SluiceProcesses.start(base.resolve("sluice"))) {
                if (!noWarmup) {
                    // Until the JIT compilers have settled, in this JVM and the broker's, they are
                    // most of the CPU a steady rate uses; as fast as the clients go gets them there soonest.
                    System.out.printf("warm-up (discarded): %d s as fast as 4 clients write ...%n", warmupSeconds);
                    new SteadyBench(base.resolve("warmup"), 0, Duration.ofSeconds(warmupSeconds), null, broker, sluice).run();
                }
                for (int r : rates) {
                    Path plot = out == null ? base.resolve("steady-" + r + ".svg")
                            : out.toAbsolutePath().resolveSibling(out.getFileName().toString().replaceAll("\\.json$", "") + "-" + r + ".svg");
                    Map<String, Object> result = Harness.run("steady", Map.of("rate", r, "seconds", seconds, "repeat", repeat), repeat,
                            noWarmup ? null : i -> new SteadyBench(base.resolve("warmup-" + r), r, Duration.ofSeconds(20), null, broker, sluice).run(),
                            i -> new SteadyBench(base.resolve("run-" + r + "-" + i), r, Duration.ofSeconds(seconds), plot, broker, sluice).run());
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
        if (scenario.equals("durability")) {
            System.out.println(new DurabilityBench(dir, writes).run());
            return 0;
        }
        if (scenario.equals("ryw")) {
            System.out.println(new ConsistencyBench(dir, writes, Duration.ofSeconds(seconds), consistencyWarmup()).run());
            return 0;
        }
        if (scenario.equals("consistency")) {
            System.out.println(new ConsistencyBench(dir, writes, Duration.ofSeconds(seconds), consistencyWarmup()).run());
            return 0;
        }
        if (scenario.equals("monitor")) {
            System.out.println(new MonitorBench(dir, followers, rate, Duration.ofSeconds(seconds)).run());
            return 0;
        }
        if (scenario.equals("snapshot")) {
            Path base = dir;
            return report(Harness.run("snapshot", Map.of("accounts", accounts, "repeat", repeat), repeat, null,
                    i -> new io.sluice.cli.bench.SnapshotBench(base.resolve("run" + i), accounts).run()));
        }
        if (scenario.equals("apply")) {
            System.out.println(ApplyBench.report(new ApplyBench(dir, transactions, accounts, passes,
                    io.sluice.applier.ApplierConfig.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT))).run()));
            return 0;
        }
        CaptureBench.Result r = new CaptureBench(dir, transactions, rows, rate, Duration.ofSeconds(seconds)).run();
        System.out.println(CaptureBench.report(r));
        return 0;
    }
}
