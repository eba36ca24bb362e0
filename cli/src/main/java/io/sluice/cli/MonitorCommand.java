package io.sluice.cli;

import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice monitor}: the lag monitor and its HTTP API as a long-lived process. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = "Watch lag at every stage, alert on thresholds and serve /status, /metrics and /healthz until Ctrl-C.")
final class MonitorCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file")
    Path config;

    @Override
    public Integer call() throws Exception {
        MonitorConfig cfg;
        try {
            cfg = Wiring.monitor(new ConfigParser().parse(config));
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        LagMonitor monitor = new LagMonitor(cfg, Clock.systemUTC());
        CountDownLatch stopped = BoundedShutdown.install("sluice-monitor", monitor);
        monitor.start();
        monitor.httpAddress().ifPresent(a -> System.out.printf("lag monitor: http://%s:%d/status%n",
                a.getAddress().getHostAddress(), a.getPort()));
        stopped.await();
        return 0;
    }
}
