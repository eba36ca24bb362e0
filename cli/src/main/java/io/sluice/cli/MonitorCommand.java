package io.sluice.cli;

import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.cli.promote.AutoPromotion;
import io.sluice.cli.promote.Promotion;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.State;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

    @Option(names = "--auto-promote", description = "also promote the follower furthest along the stream once the primary has"
            + " been unreachable for --after seconds (as 'sluice promote --auto'), every decision in /status and alerted")
    boolean autoPromote;

    @Option(names = "--after", paramLabel = "SECONDS", defaultValue = "30",
            description = "with --auto-promote: how long the primary must be unreachable (default ${DEFAULT-VALUE})")
    long afterSeconds;

    @Option(names = "--max-lag", paramLabel = "SECONDS", defaultValue = "30",
            description = "with --auto-promote: the furthest a follower may be behind the stream (default ${DEFAULT-VALUE})")
    long maxLagSeconds;

    @Override
    public Integer call() throws Exception {
        MonitorConfig cfg;
        AutoPromotion auto = null;
        try {
            SluiceConfig parsed = new ConfigParser().parse(config);
            cfg = Wiring.monitor(parsed);
            if (autoPromote) {
                auto = new AutoPromotion(Wiring.capture(parsed), Wiring.promotionCandidates(parsed), Clock.systemUTC(), System.out);
            }
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        LagMonitor monitor = new LagMonitor(cfg, Clock.systemUTC());
        CountDownLatch stopped = BoundedShutdown.install("sluice-monitor", monitor);
        monitor.start();
        monitor.httpAddress().ifPresent(a -> System.out.printf("lag monitor: http://%s:%d/status%n",
                a.getAddress().getHostAddress(), a.getPort()));
        if (auto != null) {
            AutoPromotion watcher = auto.withDecisions((alarming, what) -> monitor.promotionDecision(
                    alarming ? State.WARN : State.OK, what));
            Thread t = new Thread(() -> {
                try {
                    watcher.run(Duration.ofSeconds(afterSeconds), new Promotion.Options(false, Duration.ofSeconds(maxLagSeconds),
                            1000, Duration.ofMinutes(5)), () -> stopped.getCount() > 0);
                } catch (Exception e) {
                    System.err.println("promote --auto: " + e.getMessage());
                }
            }, "sluice-auto-promote");
            t.setDaemon(true);
            t.start();
        }
        stopped.await();
        return 0;
    }
}
