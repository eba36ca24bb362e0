package io.sluice.cli;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureService;
import io.sluice.format.follower.SnapshotTarget;
import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice capture}: runs capture as a long-lived process, or drops its slot on request. */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture the primary's committed transactions onto the Kafka stream until Ctrl-C.")
final class CaptureCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(CaptureCommand.class);

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file")
    Path config;

    @Option(names = "--drop-slot", description = "drop the replication slot (capture must be stopped) and exit;"
            + " the primary stops retaining WAL for it and capture can no longer resume from it")
    boolean dropSlot;

    @Override
    public Integer call() throws Exception {
        CaptureConfig cfg;
        List<SnapshotTarget> direct;
        try {
            SluiceConfig parsed = new ConfigParser().parse(config);
            cfg = Wiring.capture(parsed);
            direct = Wiring.directSnapshot(parsed, f -> Wiring.applier(parsed, f));
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        if (dropSlot) {
            boolean dropped = CaptureService.dropSlot(cfg);
            System.out.println(dropped ? "dropped replication slot " + cfg.slotName()
                    : "no replication slot " + cfg.slotName() + " to drop");
            return 0;
        }
        return run(new CaptureService(cfg, null, java.time.Clock.systemUTC(), direct));
    }

    /** Runs {@code capture} until Ctrl-C (or SIGTERM); the process's exit code. */
    static int run(CaptureService capture) throws InterruptedException {
        CountDownLatch stopped = BoundedShutdown.install("sluice-capture", capture);
        try {
            capture.start();
        } catch (CaptureException e) {
            log.error("capture cannot start: {}", e.getMessage());
            System.err.println("capture cannot start: " + e.getMessage());
            return e.kind() == CaptureException.Kind.CONFIGURATION ? 2 : 1;
        }
        while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
            if (capture.state() == CaptureService.State.FAILED) {
                System.err.println("capture failed: " + capture.failure().map(Throwable::toString).orElse("unknown"));
                return 1;
            }
        }
        return capture.state() == CaptureService.State.FAILED ? 1 : 0;
    }
}
