package io.sluice.cli.demo;

import io.sluice.cli.Wiring;
import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.embedded.LocalPostgres;
import io.sluice.monitor.LagMonitor;
import io.sluice.monitor.Status;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A demo's follower and its applier, which the demo may stop and start again; its line in the live view. */
final class DemoFollower {

    final String name;
    final LocalPostgres pg;
    final boolean sync;
    private volatile StreamApplier applier;
    private final ConcurrentLinkedQueue<Long> latencyMicros = new ConcurrentLinkedQueue<>();

    DemoFollower(String name, LocalPostgres pg, boolean sync) {
        this.name = name;
        this.pg = pg;
        this.sync = sync;
    }

    void start(SluiceConfig cfg, String bootstrap) {
        ApplierConfig ac = Wiring.applier(cfg, name, pg.jdbcUrl(), Wiring.embeddedConnection(), bootstrap);
        StreamApplier a = new StreamApplier(ac, applied -> latencyMicros.add(
                ChronoUnit.MICROS.between(applied.commitTime(), applied.appliedAt())));
        a.start();
        applier = a;
    }

    void stop() {
        StreamApplier a = applier;
        if (a != null) {
            a.close();
        }
    }

    /** Waits until the follower holds every transfer up to {@code lastId}; says so on {@code out} when it does not in 60 s. */
    void awaitTransfers(String lastId, java.io.PrintStream out) {
        try {
            io.sluice.embedded.Await.until(java.time.Duration.ofSeconds(60), () -> "follower " + name + " to apply every transfer",
                    () -> java.util.Objects.equals(lastId, pg.queryScalar("SELECT max(id)::text FROM transfers")));
        } catch (AssertionError e) {
            out.println("follower " + name + " did not catch up: " + e.getMessage());
        }
    }

    /** One line per follower: state and staleness from the monitor, commit → applied latency from the applier. */
    static List<DemoView.Row> rows(List<DemoFollower> fs, LagMonitor monitor) {
        Map<String, Status.Follower> lag = new HashMap<>();
        monitor.status().ifPresent(st -> st.followers().forEach(f -> lag.put(f.name(), f)));
        List<DemoView.Row> rows = new ArrayList<>();
        for (DemoFollower f : fs) {
            List<Long> samples = new ArrayList<>();
            for (Long us; (us = f.latencyMicros.poll()) != null; ) {
                samples.add(us);
            }
            samples.sort(null);
            Status.Follower st = lag.get(f.name);
            rows.add(new DemoView.Row(f.name, f.sync, st == null ? "-" : st.state().name(),
                    st == null ? 0 : st.stalenessSeconds(), samples.isEmpty() ? -1 : samples.get(samples.size() / 2) / 1000.0,
                    samples.isEmpty() ? -1 : samples.get(Math.min(samples.size() - 1, (int) Math.ceil(samples.size() * 0.99) - 1)) / 1000.0,
                    samples.size()));
        }
        return rows;
    }
}
