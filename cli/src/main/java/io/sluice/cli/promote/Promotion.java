package io.sluice.cli.promote;

import io.sluice.format.follower.KeptSequences;
import io.sluice.format.follower.Watermark;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.Epochs;
import io.sluice.capture.PrimaryHandover;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import io.sluice.format.SequenceState;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * Promotes a Sluice follower to primary (docs/failover.md): the stream is the replication log, so
 * the follower first applies everything that reached it, then takes over under a new epoch.
 *
 * <ol>
 *   <li>refuses while the old primary still answers as a primary, or the follower is further behind
 *       the stream than the lag bound (unless forced);</li>
 *   <li>records the new epoch on the epochs topic (from then on capture refuses the old primary) and
 *       writes its marker onto the stream: the cut every consumer agrees on;</li>
 *   <li>lets the follower's applier apply up to the marker (one running already, or one started
 *       here), where it stops;</li>
 *   <li>sets every sequence past what the old primary handed out ({@link PromotedSequences});</li>
 *   <li>creates capture's publication and slot on the new primary, writes a heartbeat of the new
 *       epoch at the slot's position and completes the epoch's record: capture, pointed at the new
 *       primary, continues the stream from there, and the other followers go on by themselves.</li>
 * </ol>
 */
public final class Promotion {

    /**
     * @param force       promote although the old primary still answers or the follower lags past the bound
     * @param maxLag      the furthest the follower may be behind the stream's last transaction
     * @param sequenceGap how far past the last known value each sequence is set, in increments
     * @param timeout     the longest wait for the follower to apply up to the marker
     */
    public record Options(boolean force, Duration maxLag, long sequenceGap, Duration timeout) {
        public static Options defaults() {
            return new Options(false, Duration.ofSeconds(30), 1000, Duration.ofMinutes(5));
        }
    }

    /** What the promotion did; durations from its start. */
    public record Result(long epoch, String follower, Lsn forkLsn, Lsn startLsn, long markerOffset, Duration drained,
                         Duration took, int sequencesSet) { }

    private final CaptureConfig capture;
    private final ApplierConfig follower;
    private final Clock clock;
    private final PrintStream out;

    /**
     * @param capture  the source's capture: its id, Kafka, publication, slot, tables and the old primary's URL
     * @param follower the follower to promote, as its applier reaches it
     */
    public Promotion(CaptureConfig capture, ApplierConfig follower, Clock clock, PrintStream out) {
        this.capture = capture;
        this.follower = follower;
        this.clock = clock;
        this.out = out;
    }

    public Result run(Options options) throws SQLException {
        long t0 = System.nanoTime();
        String source = capture.sourceId();
        String name = follower.followerName();
        refuseLivePrimary(options.force());
        Watermark before;
        String system;
        try (Connection c = followerConnection()) {
            before = Watermark.read(c, source).orElseThrow(() -> new PromotionException("follower " + name
                    + " has applied nothing of source " + source + ": it holds none of the primary's data"));
            system = scalar(c, "SELECT system_identifier::text FROM pg_control_system()");
            if ("true".equals(scalar(c, "SELECT pg_is_in_recovery()::text"))) {
                throw new PromotionException("follower " + name + " is a standby in recovery: it cannot take writes");
            }
        }
        Optional<EpochMarker> latest = Epochs.latest(source, capture.kafka(), Duration.ofSeconds(30));
        boolean resuming = latest.isPresent() && latest.get().follower().equals(name) && latest.get().startLsn() == null;
        if (latest.isPresent() && latest.get().startLsn() != null && latest.get().primarySystemId().equals(system)) {
            throw new PromotionException("follower " + name + " already is the primary of source " + source + " (epoch "
                    + latest.get().epoch() + ", promoted at " + latest.get().promotedAt() + ")");
        }
        if (!resuming) {
            refuseLag(before, options);
        }
        EpochMarker marker = resuming ? latest.get()
                : new EpochMarker(latest.map(EpochMarker::epoch).orElse(0L) + 1, system, name, clock.instant());
        long offset = marker.markerOffset();
        if (before.epoch() < marker.epoch()) {
            Epochs.record(source, capture.kafka(), marker, Duration.ofSeconds(30));
            offset = Epochs.mark(source, capture.kafka(), marker, Duration.ofSeconds(30));
            marker = marker.completed(offset, null, null);
            Epochs.record(source, capture.kafka(), marker, Duration.ofSeconds(30));
            out.printf("epoch %d: marker written at %s@%d; follower %s applies everything before it%n", marker.epoch(),
                    io.sluice.format.TopicNames.stream(source), offset, name);
        }
        Watermark atMarker = drain(marker.epoch(), options.timeout());
        Duration drained = Duration.ofNanos(System.nanoTime() - t0);
        out.printf("follower %s applied the stream up to the marker in %.1f s (the old primary's last transaction in the"
                + " stream: %s)%n", name, drained.toMillis() / 1000.0, atMarker.forkLsn());
        int sequences;
        try (Connection c = followerConnection()) {
            c.setAutoCommit(false);
            Optional<SequenceState> state = KeptSequences.read(c, source);
            sequences = state.isEmpty() ? 0 : new PromotedSequences(c, options.sequenceGap()).apply(state.get());
            c.commit();
            out.println(state.isEmpty() ? "no sequence state on the stream (capture's Debezium engine sends none): sequences untouched"
                    : sequences + " sequence(s) set past every value the old primary handed out (gap " + options.sequenceGap() + ")");
        }
        Lsn start = PrimaryHandover.prepare(capture, follower.jdbcUrl(), follower.connection())
                .orElseThrow(() -> new PromotionException("slot " + capture.slotName() + " was not created on " + name));
        Epochs.heartbeat(source, capture.kafka(), marker.epoch(), start, clock.instant(), Duration.ofSeconds(30));
        EpochMarker done = marker.completed(offset, atMarker.forkLsn(), start);
        Epochs.record(source, capture.kafka(), done, Duration.ofSeconds(30));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        out.printf("follower %s is the primary of source %s, epoch %d (%.1f s); capture starts on it at %s with slot %s.%n"
                + "Point primary.url at %s, start capture, then the applications; the other followers go on by themselves.%n",
                name, source, marker.epoch(), took.toMillis() / 1000.0, start, capture.slotName(), follower.jdbcUrl());
        return new Result(marker.epoch(), name, atMarker.forkLsn(), start, offset, drained, took, sequences);
    }

    /** Two primaries taking writes is what failover must never make: the old one must be gone (or fenced). */
    private void refuseLivePrimary(boolean force) {
        Properties p = new Properties();
        p.putAll(capture.connection());
        p.setProperty("connectTimeout", "3");
        p.setProperty("loginTimeout", "3");
        try (Connection c = DriverManager.getConnection(capture.jdbcUrl(), p)) {
            if ("false".equals(scalar(c, "SELECT pg_is_in_recovery()::text"))) {
                if (!force) {
                    throw new PromotionException("the primary at " + capture.jdbcUrl() + " still answers as a primary: promoting"
                            + " now would make two primaries that both take writes. Stop it (or fence it from its clients)"
                            + " first, or pass --force when it is fenced in another way");
                }
                out.println("the old primary still answers as a primary; promoting anyway (--force): a capture of it that"
                        + " goes on writing is refused by every applier");
            }
        } catch (SQLException gone) {
            out.println("the old primary does not answer (" + gone.getMessage() + ")");
        }
    }

    private void refuseLag(Watermark w, Options options) {
        Optional<Instant> last = StreamEnd.lastCommitTime(capture.sourceId(), capture.kafka(), w.epoch(), Duration.ofSeconds(30));
        Duration lag = last.map(t -> Duration.between(w.commitTime(), t)).filter(d -> !d.isNegative()).orElse(Duration.ZERO);
        out.printf("follower %s has applied up to %s (committed %s), %.1f s behind the stream's last transaction%n",
                follower.followerName(), w.commitLsn(), w.commitTime(), lag.toMillis() / 1000.0);
        if (lag.compareTo(options.maxLag()) > 0 && !options.force()) {
            throw new PromotionException("follower " + follower.followerName() + " is " + lag.toSeconds() + " s behind the"
                    + " stream, past the bound of " + options.maxLag().toSeconds() + " s (--max-lag): pick a follower"
                    + " further ahead, or pass --force (it first applies all of the stream, which takes longer)");
        }
    }

    /**
     * Waits until the follower's watermark is in the new epoch: its own applier if one runs (it
     * holds the follower's lock), else one started here. Returns the watermark at the marker.
     */
    private Watermark drain(long epoch, Duration timeout) throws SQLException {
        Optional<Watermark> now = watermark();
        if (now.isPresent() && now.get().epoch() >= epoch) {
            return now.get(); // its applier was quicker
        }
        StreamApplier own = new StreamApplier(follower);
        String why = null;
        try {
            own.start();
        } catch (ApplierException e) {
            why = e.getMessage();
            own = null;
            out.println("waiting for the applier of follower " + follower.followerName() + " that runs (" + why + ")");
        }
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Optional<Watermark> w = watermark();
                if (w.isPresent() && w.get().epoch() >= epoch) {
                    return w.get();
                }
                if (own != null && own.state() == StreamApplier.State.FAILED) {
                    throw new PromotionException("the applier of follower " + follower.followerName() + " failed before the"
                            + " marker: " + own.failure().map(Throwable::getMessage).orElse("?"));
                }
                if (System.nanoTime() > deadline) {
                    throw new PromotionException("follower " + follower.followerName() + " did not apply the stream up to the"
                            + " epoch " + epoch + " marker within " + timeout.toSeconds() + " s"
                            + (why == null ? "" : "; no applier could be started here: " + why));
                }
                LockSupport.parkNanos(100_000_000L);
            }
        } finally {
            if (own != null) {
                own.close();
            }
        }
    }

    private Optional<Watermark> watermark() throws SQLException {
        try (Connection c = followerConnection()) {
            return Watermark.read(c, capture.sourceId());
        }
    }

    private Connection followerConnection() throws SQLException {
        return DriverManager.getConnection(follower.jdbcUrl(), follower.connection());
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
