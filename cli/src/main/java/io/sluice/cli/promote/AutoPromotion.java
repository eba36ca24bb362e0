package io.sluice.cli.promote;

import io.sluice.format.follower.Watermark;
import io.sluice.applier.ApplierConfig;
import io.sluice.capture.CaptureConfig;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sluice promote --auto}: watches the primary and, once it has been unreachable for the
 * configured time, promotes the follower that has applied the most of the stream, provided it is
 * within the lag bound ({@link Promotion}'s own check). Every look that changes what it knows, and
 * every decision, is printed and logged with its reason.
 */
public final class AutoPromotion {

    private static final Logger log = LoggerFactory.getLogger(AutoPromotion.class);

    private final CaptureConfig capture;
    private final List<ApplierConfig> followers;
    private final Clock clock;
    private final PrintStream out;
    private volatile BiConsumer<Boolean, String> decisions = (alarming, what) -> { };

    public AutoPromotion(CaptureConfig capture, List<ApplierConfig> followers, Clock clock, PrintStream out) {
        this.capture = capture;
        this.followers = List.copyOf(followers);
        this.clock = clock;
        this.out = out;
    }

    /** Also tells every decision to {@code sink} ({@code true}: it is alarming — waiting to promote, promoting). */
    public AutoPromotion withDecisions(BiConsumer<Boolean, String> sink) {
        this.decisions = sink;
        return this;
    }

    /** A follower's position on the stream, or why it cannot be a candidate. */
    record Candidate(ApplierConfig follower, Watermark watermark, String unfit) { }

    /**
     * Watches until the primary has been unreachable for {@code after}, then promotes; returns the
     * promotion's result, or empty when {@code keepWatching} turned false first.
     *
     * @throws PromotionException when no follower can be promoted, or the promotion is refused
     */
    public Optional<Promotion.Result> run(Duration after, Promotion.Options options, BooleanSupplier keepWatching)
            throws SQLException {
        Instant downSince = null;
        say("watching the primary at " + capture.jdbcUrl() + ": a follower is promoted once it has been unreachable for "
                + after.toSeconds() + " s");
        while (keepWatching.getAsBoolean()) {
            Optional<String> down = unreachable();
            Instant now = clock.instant();
            if (down.isEmpty()) {
                if (downSince != null) {
                    say("the primary answers again after " + Duration.between(downSince, now).toMillis() / 1000.0 + " s: no promotion");
                    decisions.accept(false, "the primary answers again: no promotion");
                }
                downSince = null;
            } else if (downSince == null) {
                downSince = now;
                say("the primary does not answer (" + down.get() + "): promoting in " + after.toSeconds() + " s unless it comes back");
                decisions.accept(true, "the primary does not answer (" + down.get() + "): promoting in " + after.toSeconds()
                        + " s unless it comes back");
            } else if (!now.isBefore(downSince.plus(after))) {
                Candidate pick = choose();
                say("the primary has not answered for " + Duration.between(downSince, now).toSeconds() + " s: promoting follower "
                        + pick.follower().followerName() + ", the furthest along the stream (applied up to "
                        + pick.watermark().commitLsn() + ", committed " + pick.watermark().commitTime() + ")");
                decisions.accept(true, "promoting follower " + pick.follower().followerName() + ", the furthest along the stream"
                        + " (applied up to " + pick.watermark().commitLsn() + ")");
                try {
                    Promotion.Result r = new Promotion(capture, pick.follower(), clock, out).run(options);
                    decisions.accept(true, "follower " + r.follower() + " is the primary, epoch " + r.epoch() + ": point primary.url"
                            + " at it");
                    return Optional.of(r);
                } catch (RuntimeException e) {
                    decisions.accept(true, "promoting follower " + pick.follower().followerName() + " failed: " + e.getMessage());
                    throw e;
                }
            }
            LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
        }
        return Optional.empty();
    }

    /** The reachable follower furthest along the stream: highest epoch, then highest commit LSN; ties in configuration order. */
    Candidate choose() {
        List<Candidate> all = new ArrayList<>();
        for (ApplierConfig f : followers) {
            try (Connection c = DriverManager.getConnection(f.jdbcUrl(), withTimeouts(f.connection()))) {
                Optional<Watermark> w = Watermark.read(c, f.sourceId());
                all.add(new Candidate(f, w.orElse(null), w.isEmpty() ? "has applied nothing" : null));
            } catch (SQLException e) {
                all.add(new Candidate(f, null, "unreachable: " + e.getMessage()));
            }
        }
        all.stream().filter(c -> c.unfit() != null).forEach(c -> {
            say("follower " + c.follower().followerName() + " is no candidate: " + c.unfit());
            decisions.accept(true, "follower " + c.follower().followerName() + " is no candidate: " + c.unfit());
        });
        return all.stream().filter(c -> c.unfit() == null)
                .max(Comparator.<Candidate>comparingLong(c -> c.watermark().epoch()).thenComparing(c -> c.watermark().commitLsn())
                        .thenComparing(c -> -followers.indexOf(c.follower())))
                .orElseThrow(() -> new PromotionException("no follower can be promoted: none is reachable with a watermark"));
    }

    /** Why the primary cannot be reached as a primary, or empty when it answers as one. */
    private Optional<String> unreachable() {
        try (Connection c = DriverManager.getConnection(capture.jdbcUrl(), withTimeouts(capture.connection()));
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1) ? Optional.of("it is a standby in recovery") : Optional.empty();
        } catch (SQLException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Properties withTimeouts(Properties connection) {
        Properties p = new Properties();
        p.putAll(connection);
        p.setProperty("connectTimeout", "3");
        p.setProperty("loginTimeout", "3");
        p.setProperty("socketTimeout", "5");
        return p;
    }

    private void say(String line) {
        log.warn("promote --auto: {}", line);
        out.println(clock.instant() + " " + line);
    }
}
