package io.sluice.cli;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.applier.StreamApplier;
import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.format.Lsn;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice apply}: one follower's applier as a long-lived process. */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = "Apply the source's stream to one follower until Ctrl-C.")
final class ApplyCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file")
    Path config;

    @Option(names = "--follower", required = true, paramLabel = "NAME", description = "the follower to apply to")
    String follower;

    @Option(names = "--skip-transaction", paramLabel = "LSN",
            description = "operator action: skip the source transaction with this commit LSN (X/Y); it is logged and"
                    + " recorded in the follower's sluice.skipped_transaction")
    String skip;

    @Override
    public Integer call() throws Exception {
        ApplierConfig cfg;
        try {
            cfg = Wiring.applier(new ConfigParser().parse(config), follower);
            if (skip != null) {
                cfg = cfg.withSkip(Lsn.parse(skip));
            }
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        StreamApplier applier = new StreamApplier(cfg);
        CountDownLatch stopped = BoundedShutdown.install("sluice-apply", applier);
        try {
            applier.start();
        } catch (ApplierException e) {
            System.err.println("applier cannot start: " + e.getMessage());
            return 1;
        }
        while (!stopped.await(1, TimeUnit.SECONDS)) {
            if (applier.state() == StreamApplier.State.FAILED) {
                System.err.println("applier stopped: " + applier.failure().map(Throwable::getMessage).orElse("unknown"));
                return 1;
            }
            if (applier.promotedIn().isPresent()) {
                System.out.println("follower " + follower + " was promoted to primary (epoch " + applier.promotedIn().get()
                        + "): it has applied the stream up to the promotion and applies no more of it");
                return 0;
            }
        }
        return 0;
    }
}
