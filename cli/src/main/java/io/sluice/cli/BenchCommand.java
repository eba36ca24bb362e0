package io.sluice.cli;

import io.sluice.cli.bench.ApplyBench;
import io.sluice.cli.bench.BigTxnBench;
import io.sluice.cli.bench.CaptureBench;
import io.sluice.cli.bench.ConsistencyBench;
import io.sluice.cli.bench.MonitorBench;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice bench <scenario>}: measurements on the embedded stack. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark scenario on embedded servers: capture, apply, bigtxn, monitor, consistency.")
final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "SCENARIO", description = "capture | apply | bigtxn | monitor | consistency")
    String scenario;

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

    @Option(names = "--accounts", defaultValue = "100000", description = "apply: pgbench_accounts rows (default: ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--writes", defaultValue = "500", description = "consistency: sequential writes per durability level (default: ${DEFAULT-VALUE})")
    int writes;

    @Option(names = "--followers", defaultValue = "10", description = "monitor: followers watched (default: ${DEFAULT-VALUE})")
    int followers;

    @Override
    public Integer call() throws Exception {
        if (!List.of("capture", "apply", "bigtxn", "monitor", "consistency").contains(scenario)) {
            System.err.println("unknown scenario '" + scenario + "'; known: capture, apply, bigtxn, monitor, consistency");
            return 2;
        }
        Path dir = Files.createTempDirectory("sluice-bench-");
        System.out.printf("java %s, %d cores, max heap %d MiB; PostgreSQL (zonky, fsync=off) and Kafka embedded%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        if (scenario.equals("bigtxn")) {
            System.out.println(new BigTxnBench(dir, bigRows).run());
            return 0;
        }
        if (scenario.equals("consistency")) {
            System.out.println(new ConsistencyBench(dir, writes, Duration.ofSeconds(seconds)).run());
            return 0;
        }
        if (scenario.equals("monitor")) {
            System.out.println(new MonitorBench(dir, followers, rate, Duration.ofSeconds(seconds)).run());
            return 0;
        }
        if (scenario.equals("apply")) {
            System.out.println(ApplyBench.report(new ApplyBench(dir, transactions, accounts).run()));
            return 0;
        }
        CaptureBench.Result r = new CaptureBench(dir, transactions, rows, rate, Duration.ofSeconds(seconds)).run();
        System.out.println(CaptureBench.report(r));
        return 0;
    }
}
