package io.sluice.cli.demo;

import io.sluice.cli.Wiring;
import io.sluice.cli.EmbeddedStack;
import io.sluice.capture.CaptureService;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.LocalPostgres;
import io.sluice.embedded.PhysicalStandby;
import io.sluice.monitor.LagMonitor;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code sluice demo --failover}: the primary gets a physical standby that keeps capture's
 * failover slot; under the transfer workload the primary is killed with SIGKILL and the standby
 * promoted; capture, given both hosts, continues on the new primary, and at the end every follower
 * is compared with the new primary by the verifier (docs/capture.md, "Failover").
 */
final class FailoverDemo {

    private static final String STANDBY = "standby";

    private final SluiceConfig cfg;
    private final EmbeddedStack stack;
    private final DemoView view;
    private final PrintStream out;
    private final Duration duration;
    private final int rate;
    private final AtomicLong written = new AtomicLong();
    /** The first transfer committed on the promoted standby (0 until there is one). */
    private final AtomicLong firstOnNewPrimary = new AtomicLong();
    private volatile boolean promoted;

    FailoverDemo(SluiceConfig cfg, EmbeddedStack stack, DemoView view, PrintStream out, Duration duration, int rate) {
        this.cfg = cfg;
        this.stack = stack;
        this.view = view;
        this.out = out;
        this.duration = duration;
        this.rate = rate;
    }

    int run() throws Exception {
        LocalPostgres primary = stack.primary();
        DemoWorkload.schema(primary);
        try (LocalPostgres standby = PhysicalStandby.start(primary, STANDBY, stack.runDirectory(), LocalPostgres.builder(STANDBY)
                .setting("sync_replication_slots", "on").setting("hot_standby_feedback", "on"))) {
            // Logical decoding waits for the standby, so capture is never ahead of what it has.
            primary.execute("ALTER SYSTEM SET synchronized_standby_slots = '" + PhysicalStandby.slotName(STANDBY) + "'",
                    "SELECT pg_reload_conf()");
            String url = "jdbc:postgresql://127.0.0.1:" + primary.port() + ",127.0.0.1:" + standby.port() + "/"
                    + cfg.primaryDatabase();
            view.header("primary  " + primary.jdbcUrl());
            view.header("standby  " + standby.jdbcUrl() + " (physical, streaming through slot " + PhysicalStandby.slotName(STANDBY)
                    + ", keeps failover slots)");
            view.header("kafka    " + stack.kafka().bootstrapServers());
            String bootstrap = stack.kafka().bootstrapServers();
            List<DemoFollower> fs = new ArrayList<>();
            try (CaptureService capture = new CaptureService(Wiring.capture(cfg, url, Wiring.embeddedConnection(), bootstrap,
                    stack.runDirectory().resolve("capture")))) {
                capture.start();
                view.header("capture  both hosts: " + url + " -> topic sluice." + cfg.sourceId() + ".stream");
                for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
                    DemoFollower follower = new DemoFollower(f.getKey(), f.getValue(),
                            cfg.followers().get(f.getKey()).mode() == SluiceConfig.Mode.SYNC);
                    follower.start(cfg, bootstrap);
                    fs.add(follower);
                    view.header("follower " + follower.name + " " + f.getValue().jdbcUrl());
                }
                LagMonitor monitor = DemoCommand.startMonitor(cfg, stack, url, view);
                try {
                    DemoCommand.snapshot(primary, fs, view);
                    return failover(primary, standby, url, capture, fs, monitor);
                } finally {
                    monitor.close();
                    fs.forEach(DemoFollower::stop);
                }
            }
        }
    }

    private int failover(LocalPostgres primary, LocalPostgres standby, String url, CaptureService capture, List<DemoFollower> fs,
                         LagMonitor monitor) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> workload(url, writing), "demo-failover-workload");
        view.event(String.format("workload: %d transfers/s on whichever host is the primary for %d s", rate, duration.toSeconds()));
        writer.start();
        String slot = cfg.capture().slotName();
        long start = System.nanoTime();
        long killAt = start + duration.toNanos() * 2 / 5;
        long killed = 0;
        long promotedAt = 0;
        boolean synced = false;
        boolean applied = false;
        CaptureService.State captureState = capture.state();
        long previous = 0;
        long nextReport = start + 1_000_000_000L;
        while (System.nanoTime() - start < duration.toNanos() || killed == 0 || !applied) {
            long now = System.nanoTime();
            if (!synced && now - start > 60_000_000_000L) {
                view.event("the standby did not synchronise slot " + slot + " within 60 s: not killing the primary");
                break;
            }
            if (!synced && slotSynced(standby, slot)) {
                synced = true;
                view.event("standby holds a synchronised copy of slot " + slot + ": a failover can keep the stream going");
            }
            if (synced && killed == 0 && now >= killAt) {
                view.event("PRIMARY KILLED (SIGKILL): writes fail until a new primary is found");
                killed = System.nanoTime();
                primary.crash();
                standby.promote();
                promotedAt = System.nanoTime();
                promoted = true;
                view.event(String.format("standby PROMOTED to primary %.1f s after the kill (the demo promotes once the old"
                        + " primary's processes are gone; Patroni would first wait out its leader TTL)", (promotedAt - killed) / 1e9));
            }
            if (capture.state() != captureState) {
                captureState = capture.state();
                view.event("capture " + captureState + (captureState == CaptureService.State.RUNNING ? " again, on the new primary" : ""));
                if (captureState == CaptureService.State.FAILED) {
                    view.event("capture failed: " + capture.failure().map(Throwable::getMessage).orElse("(no cause recorded)"));
                    break;
                }
            }
            if (killed != 0 && !applied && firstOnNewPrimary.get() > 0 && appliedEverywhere(fs, firstOnNewPrimary.get())) {
                applied = true;
                long done = System.nanoTime();
                view.event(String.format("FAILOVER DONE: the first transfer written on the new primary is on every follower,"
                        + " %.1f s after the kill (%.1f s after the promotion)", (done - killed) / 1e9, (done - promotedAt) / 1e9));
            }
            if (now >= nextReport) {
                nextReport += 1_000_000_000L;
                long w = written.get();
                view.report(w - previous, DemoFollower.rows(fs, monitor));
                previous = w;
            }
            if (killed != 0 && now - killed > 120_000_000_000L) {
                view.event("no transfer of the new primary reached every follower within 120 s");
                break;
            }
            LockSupport.parkNanos(20_000_000L); // the director's tick, not synchronisation
        }
        writing.set(false);
        writer.join();
        view.done();
        LocalPostgres current = killed == 0 ? primary : standby;
        return check(current, fs);
    }

    /** Every follower against the primary of the end (the promoted standby), by the verifier. */
    private int check(LocalPostgres current, List<DemoFollower> fs) throws Exception {
        out.println("workload stopped after " + written.get() + " transfers; waiting for the followers to catch up ...");
        String marker = current.queryScalar("SELECT max(id)::text FROM transfers");
        fs.forEach(f -> f.awaitTransfers(marker, out));
        JdbcDataSource primary = new JdbcDataSource(current.jdbcUrl(cfg.primaryDatabase()), Wiring.embeddedConnection());
        int failures = DemoCheck.followers(primary, fs, cfg.sourceId(), Verifier.tables(primary), "the new primary", out);
        out.println(failures == 0 ? "demo: every follower equals the new primary." : "demo: " + failures + " follower(s) differ.");
        return failures == 0 ? 0 : 1;
    }

    /** A synchronised copy that survives promotion: PostgreSQL drops one still temporary (not yet caught up) when it promotes. */
    private static boolean slotSynced(LocalPostgres standby, String slot) throws SQLException {
        return "t".equals(standby.queryScalar("SELECT coalesce(bool_and(synced AND NOT temporary)::text::char, 'f')"
                + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));
    }

    private static boolean appliedEverywhere(List<DemoFollower> fs, long transfer) {
        for (DemoFollower f : fs) {
            try {
                if (!"1".equals(f.pg.queryScalar("SELECT count(*) FROM transfers WHERE id = " + transfer))) {
                    return false;
                }
            } catch (SQLException e) {
                return false;
            }
        }
        return true;
    }

    /** Transfers at the configured rate on whichever host is the primary, looking for it again after a failure. */
    private void workload(String url, AtomicBoolean writing) {
        Random random = new Random(42);
        Properties p = Wiring.embeddedConnection();
        p.setProperty("targetServerType", "primary");
        p.setProperty("hostRecheckSeconds", "1");
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        while (writing.get()) {
            try (Connection c = DriverManager.getConnection(url, p);
                 PreparedStatement debit = c.prepareStatement("UPDATE accounts SET balance = balance - ? WHERE id = ?");
                 PreparedStatement credit = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                 PreparedStatement log = c.prepareStatement("INSERT INTO transfers SELECT coalesce(max(id), 0) + 1, ?, ?, ?, now()"
                         + " FROM transfers RETURNING id")) {
                c.setAutoCommit(false);
                while (writing.get()) {
                    next += interval;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    DemoTransfer t = DemoTransfer.next(random);
                    t.move(debit, credit);
                    log.setInt(1, t.from());
                    log.setInt(2, t.to());
                    log.setBigDecimal(3, t.amount());
                    long id;
                    try (ResultSet rs = log.executeQuery()) {
                        rs.next();
                        id = rs.getLong(1);
                    }
                    c.commit();
                    written.incrementAndGet();
                    if (promoted) {
                        firstOnNewPrimary.compareAndSet(0, id);
                    }
                }
            } catch (SQLException e) {
                LockSupport.parkNanos(100_000_000L); // no primary right now: look again shortly
                next = System.nanoTime();
            }
        }
    }
}
