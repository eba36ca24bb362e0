package io.sluice.cli;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.Epochs;
import io.sluice.capture.LostWrites;
import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.cli.promote.OldPrimaryRebuild;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice rejoin}: an old primary started again after its standby (or a follower) was promoted. Lists the
 * transactions it committed that the new primary — and so the stream and every follower — never
 * had, by table and key, and says how it becomes a standby again.
 */
@Command(name = "rejoin", mixinStandardHelpOptions = true,
        description = "List the transactions an old primary, started again after its standby was promoted, committed that the"
                + " new primary never had (the lost writes, by table and key); exit 0 when there are none, 1 when there are.")
final class RejoinCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "configuration file (primary.url: the new primary's hosts)")
    Path config;

    @Option(names = "--old-primary", required = true, paramLabel = "JDBC_URL",
            description = "the old primary, started again on its own (same user and password as primary.*)")
    String oldPrimary;

    @Option(names = "--rebuild-as", paramLabel = "NAME",
            description = "then make the old primary a follower named NAME: its replicated tables are discarded and copied from"
                    + " the new primary, its watermark set so that 'sluice apply --follower NAME' continues from the stream")
    String rebuildAs;

    private final PrintStream out = System.out;

    @Override
    public Integer call() {
        CaptureConfig cfg;
        try {
            SluiceConfig parsed = new ConfigParser().parse(config);
            cfg = Wiring.capture(parsed);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        try {
            Optional<EpochMarker> promotion = Epochs.latest(cfg.sourceId(), cfg.kafka(), Duration.ofSeconds(30));
            List<LostWrites.Transaction> lost;
            String history;
            if (promotion.isPresent() && !promotion.get().primarySystemId().equals(LostWrites.systemId(oldPrimary, cfg.connection()))) {
                EpochMarker m = promotion.get();
                if (m.forkLsn() == null) {
                    System.err.println("rejoin: the promotion of follower " + m.follower() + " (epoch " + m.epoch()
                            + ") has not finished: run 'sluice promote' again first");
                    return 2;
                }
                history = "follower " + m.follower() + " was promoted to primary at " + m.promotedAt() + " (epoch " + m.epoch()
                        + "); the stream holds the old primary's transactions up to " + m.forkLsn();
                lost = LostWrites.ofReplacedPrimary(m, oldPrimary, cfg.connection(), cfg.slotName(), cfg.publicationName(),
                        cfg.kafka(), cfg.sourceId());
            } else {
                Lsn switchPoint = LostWrites.switchPoint(cfg.jdbcUrl(), cfg.connection(), oldPrimary, cfg.connection(), cfg.sourceId());
                history = "the new primary's history left the old primary's timeline at " + switchPoint;
                lost = LostWrites.after(oldPrimary, cfg.connection(), cfg.slotName(), cfg.publicationName(), switchPoint);
            }
            out.println(history + "; the old primary committed " + lost.size() + " transaction(s) after it, which the new primary, the stream and the"
                    + " followers never had" + (lost.isEmpty() ? "." : ":"));
            for (LostWrites.Transaction t : lost) {
                out.println("  xid " + t.xid() + " committed " + t.commitTime() + " at " + t.commitLsn() + ":");
                t.changes().forEach(c -> out.println("    " + c));
            }
            if (rebuildAs != null) {
                new OldPrimaryRebuild(cfg, out).run(rebuildAs, oldPrimary, cfg.connection(), promotion, Clock.systemUTC());
                return 0;
            }
            out.println("Do not start it as a primary again: capture refuses to read it (docs/failover.md). To make it a"
                    + " follower of the new primary, run this again with --rebuild-as NAME; to make it a standby, rebuild it"
                    + " from a base backup of the new primary (or pg_rewind).");
            return lost.isEmpty() ? 0 : 1;
        } catch (CaptureException e) {
            System.err.println("rejoin: " + e.getMessage());
            return e.kind() == CaptureException.Kind.CONFIGURATION ? 2 : 1;
        } catch (java.sql.SQLException | io.sluice.applier.ApplierException e) {
            System.err.println("rejoin: rebuilding the old primary as follower " + rebuildAs + ": " + e.getMessage());
            return 1;
        }
    }
}
