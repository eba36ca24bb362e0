package io.sluice.cli.demo;

import io.sluice.embedded.LocalPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's tables and its writes on the primary: transfers at a fixed rate on a thread of its
 * own, each moving money between two accounts (the total never changes) and logging the transfer,
 * every tenth also updating a profile's jsonb.
 */
final class DemoWorkload {

    private final LocalPostgres primary;
    private final int rate;
    private final AtomicLong written = new AtomicLong();
    private final Thread thread;
    private volatile boolean writing = true;

    private DemoWorkload(LocalPostgres primary, int rate) {
        this.primary = primary;
        this.rate = rate;
        this.thread = new Thread(this::write, "demo-workload");
    }

    /** Starts writing {@code rate} transfers a second on {@code primary}. */
    static DemoWorkload start(LocalPostgres primary, int rate) {
        DemoWorkload w = new DemoWorkload(primary, rate);
        w.thread.start();
        return w;
    }

    /** The demo's tables, with 100 accounts and 100 profiles in them. */
    static void schema(LocalPostgres pg) throws SQLException {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL)");
            st.execute("CREATE TABLE transfers (id bigint PRIMARY KEY, src int, dst int, amount numeric(12,2), at timestamptz)");
            st.execute("CREATE TABLE profiles (id int PRIMARY KEY, attrs jsonb, tags text[], updated timestamptz)");
            st.execute("INSERT INTO accounts SELECT g, 'owner ' || g, 1000 FROM generate_series(1, 100) g");
            st.execute("INSERT INTO profiles SELECT g, jsonb_build_object('tier', g % 3), ARRAY['t' || g % 5], now()"
                    + " FROM generate_series(1, 100) g");
        }
    }

    /** Transfers committed so far. */
    long written() {
        return written.get();
    }

    /** Whether it still writes (it stops on its own only when the primary refuses a write). */
    boolean alive() {
        return thread.isAlive();
    }

    /** Stops writing and waits for the last transfer to commit. */
    void stop() throws InterruptedException {
        writing = false;
        thread.join();
    }

    private void write() {
        Random random = new Random(42);
        try (Connection c = primary.connect();
             PreparedStatement debit = c.prepareStatement("UPDATE accounts SET balance = balance - ? WHERE id = ?");
             PreparedStatement credit = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
             PreparedStatement log = c.prepareStatement("INSERT INTO transfers VALUES (?, ?, ?, ?, now())");
             PreparedStatement profile = c.prepareStatement(
                     "UPDATE profiles SET attrs = attrs || jsonb_build_object('last', ?::int), updated = now() WHERE id = ?")) {
            c.setAutoCommit(false);
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            for (long i = 1; writing; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait); // the rate's pace, not synchronisation
                }
                DemoTransfer t = DemoTransfer.next(random);
                t.move(debit, credit);
                log.setLong(1, i);
                log.setInt(2, t.from());
                log.setInt(3, t.to());
                log.setBigDecimal(4, t.amount());
                log.executeUpdate();
                if (i % 10 == 0) {
                    profile.setInt(1, (int) i);
                    profile.setInt(2, t.from());
                    profile.executeUpdate();
                }
                c.commit();
                written.incrementAndGet();
            }
        } catch (SQLException e) {
            System.err.println("workload stopped: " + e.getMessage());
        }
    }
}
