package io.sluice.cli;

import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureService;
import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.cli.promote.AutoPromotion;
import io.sluice.cli.promote.Promotion;
import io.sluice.cli.promote.PromotionException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice promote}: a follower becomes the source's primary, under a new epoch (docs/failover.md). */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Promote a follower to primary after the primary was lost: it applies everything that reached the"
                + " stream, takes every sequence past what the old primary handed out, and capture continues on it under a"
                + " new epoch; the other followers go on by themselves. Exit 0 when promoted, 1 when refused or failed.")
final class PromoteCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file")
    Path config;

    @Option(names = "--follower", paramLabel = "NAME", description = "the follower to promote")
    String follower;

    @Option(names = "--auto", description = "watch the primary; once it has been unreachable for --after seconds, promote the"
            + " follower furthest along the stream (within --max-lag), then exit")
    boolean auto;

    @Option(names = "--after", paramLabel = "SECONDS", defaultValue = "30",
            description = "with --auto: how long the primary must be unreachable (default ${DEFAULT-VALUE})")
    long afterSeconds;

    @Option(names = "--force", description = "promote although the old primary still answers as a primary (it must be fenced)"
            + " or the follower is further behind than --max-lag")
    boolean force;

    @Option(names = "--max-lag", paramLabel = "SECONDS", defaultValue = "30",
            description = "refuse a follower further behind the stream's last transaction (default ${DEFAULT-VALUE})")
    long maxLagSeconds;

    @Option(names = "--sequence-gap", paramLabel = "N", defaultValue = "1000",
            description = "set each sequence this many increments past the last value known to be handed out (default ${DEFAULT-VALUE})")
    long sequenceGap;

    @Option(names = "--capture", description = "then run capture on the new primary, as 'sluice capture' would with primary.url"
            + " pointing at it, until Ctrl-C")
    boolean thenCapture;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "the longest wait for the follower to apply the stream up to the promotion (default ${DEFAULT-VALUE})")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (auto == (follower != null)) {
            System.err.println("promote: give either --follower NAME or --auto");
            return 2;
        }
        CaptureConfig capture;
        List<ApplierConfig> targets = new ArrayList<>();
        SluiceConfig cfg;
        try {
            cfg = new ConfigParser().parse(config);
            capture = Wiring.capture(cfg);
            if (auto) {
                targets.addAll(Wiring.promotionCandidates(cfg));
            } else {
                SluiceConfig.Follower f = cfg.followers().get(follower);
                if (f != null && !f.isDatabase()) {
                    throw new IllegalArgumentException("--follower " + follower + " is of kind " + f.kind().key()
                            + ": only a PostgreSQL follower can become the primary");
                }
                targets.add(Wiring.applier(cfg, follower));
            }
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        Promotion.Options options = new Promotion.Options(force && !auto, Duration.ofSeconds(maxLagSeconds), sequenceGap,
                Duration.ofSeconds(timeoutSeconds));
        Promotion.Result promoted;
        try {
            promoted = auto
                    ? new AutoPromotion(capture, targets, Clock.systemUTC(), System.out).run(Duration.ofSeconds(afterSeconds), options,
                            () -> true).orElseThrow()
                    : new Promotion(capture, targets.get(0), Clock.systemUTC(), System.out).run(options);
        } catch (PromotionException | CaptureException e) {
            System.err.println("promote: " + e.getMessage());
            return 1;
        }
        if (!thenCapture) {
            return 0;
        }
        ApplierConfig primary = targets.stream().filter(t -> t.followerName().equals(promoted.follower())).findFirst().orElseThrow();
        System.out.println("capture on the new primary " + primary.jdbcUrl() + " until Ctrl-C");
        return CaptureCommand.run(new CaptureService(Wiring.capture(cfg, primary.jdbcUrl(), primary.connection(),
                cfg.kafka().bootstrapServers(), cfg.embedded().dataDirectory().resolve("capture-" + cfg.sourceId()))));
    }
}
