package io.sluice.bench;

import io.sluice.embedded.Await;
import io.sluice.embedded.LocalPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The benchmarks' backlog: pgbench's TPC-B tables and transaction (three updates and an insert),
 * a wide table (jsonb, numeric, text, text[], timestamptz) inserted then updated, and a marker
 * row written last — a follower that has the marker has applied everything (commit order).
 */
final class Pgbench {

    static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_tellers", "pgbench_branches",
            "pgbench_history", "bench_wide", "bench_marker");

    private Pgbench() {
    }

    static void schema(LocalPostgres pg, int accounts) throws SQLException {
        pg.execute("CREATE TABLE pgbench_branches (bid int PRIMARY KEY, bbalance int, filler char(88))",
                "CREATE TABLE pgbench_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))",
                "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
                "CREATE TABLE pgbench_history (hid bigint PRIMARY KEY, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
                "CREATE TABLE bench_wide (id int PRIMARY KEY, doc jsonb, amount numeric(20,6), note text, tags text[], updated timestamptz)",
                "CREATE TABLE bench_marker (id int PRIMARY KEY)",
                "INSERT INTO pgbench_branches SELECT g, 0, '' FROM generate_series(1, 10) g",
                "INSERT INTO pgbench_tellers SELECT g, 1 + (g - 1) / 10, 0, '' FROM generate_series(1, 100) g",
                "INSERT INTO pgbench_accounts SELECT g, 1 + (g - 1) / " + Math.max(1, accounts / 10) + ", 0, ''"
                        + " FROM generate_series(1, " + accounts + ") g");
    }

    /** Row events the backlog makes: 4 per TPC-B transaction, 2 per wide row (insert, update), 1 marker. */
    static long rowEvents(int transactions, int wideRows) {
        return 4L * transactions + 2L * wideRows + 1;
    }

    /** Transactions the backlog commits: TPC-B ones, wide inserts and updates in tens, the marker. */
    static long transactions(int transactions, int wideRows) {
        return transactions + 2L * ((wideRows + 9) / 10) + 1;
    }

    /** The TPC-B part from 4 clients, then the wide table, then the marker. */
    static void backlog(LocalPostgres primary, int transactions, int accounts, int wideRows) throws Exception {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Exception> failed = new AtomicReference<>();
        int clients = 4;
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                try {
                    tpcb(primary, client, clients, transactions, accounts);
                } catch (Exception e) {
                    failed.compareAndSet(null, e);
                }
            }, "bench-client-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        try (Connection c = primary.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO bench_wide VALUES (?, jsonb_build_object('k', ?::int,"
                    + " 'tags', jsonb_build_array('a', 'b'), 'nested', jsonb_build_object('x', ?::int)), ?::numeric / 7, repeat('w', 200),"
                    + " ARRAY['t1', 't2'], now())")) {
                for (int i = 1; i <= wideRows; i++) {
                    ins.setInt(1, i);
                    ins.setInt(2, i);
                    ins.setInt(3, i);
                    ins.setInt(4, i);
                    ins.executeUpdate();
                    if (i % 10 == 0 || i == wideRows) {
                        c.commit();
                    }
                }
            }
            try (PreparedStatement upd = c.prepareStatement("UPDATE bench_wide SET doc = jsonb_set(doc, '{k}', to_jsonb(-id)),"
                    + " amount = amount * 2, updated = now() WHERE id = ?")) {
                for (int i = 1; i <= wideRows; i++) {
                    upd.setInt(1, i);
                    upd.executeUpdate();
                    if (i % 10 == 0 || i == wideRows) {
                        c.commit();
                    }
                }
            }
            try (PreparedStatement m = c.prepareStatement("INSERT INTO bench_marker VALUES (1)")) {
                m.executeUpdate();
                c.commit();
            }
        }
    }

    private static void tpcb(LocalPostgres primary, int client, int clients, int transactions, int accounts) throws SQLException {
        Random random = new Random(client);
        try (Connection conn = primary.connect();
             PreparedStatement a = conn.prepareStatement("UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?");
             PreparedStatement te = conn.prepareStatement("UPDATE pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?");
             PreparedStatement b = conn.prepareStatement("UPDATE pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?");
             PreparedStatement h = conn.prepareStatement("INSERT INTO pgbench_history VALUES (?, ?, ?, ?, ?, now(), '')")) {
            conn.setAutoCommit(false);
            for (int i = client; i < transactions; i += clients) {
                int aid = 1 + random.nextInt(accounts);
                int tid = 1 + random.nextInt(100);
                int bid = 1 + random.nextInt(10);
                int delta = random.nextInt(10001) - 5000;
                a.setInt(1, delta);
                a.setInt(2, aid);
                a.executeUpdate();
                te.setInt(1, delta);
                te.setInt(2, tid);
                te.executeUpdate();
                b.setInt(1, delta);
                b.setInt(2, bid);
                b.executeUpdate();
                h.setLong(1, i);
                h.setInt(2, tid);
                h.setInt(3, bid);
                h.setInt(4, aid);
                h.setInt(5, delta);
                h.executeUpdate();
                conn.commit();
            }
        }
    }

    /** Watches a follower for the backlog's end marker. */
    static Watch markerWatch(LocalPostgres follower) throws SQLException {
        return new Watch(follower, "SELECT count(*) FROM bench_marker");
    }

    static boolean markerSeen(Watch marker) throws SQLException {
        return "1".equals(marker.value());
    }

    /**
     * The native reference: a publication of the pgbench tables on the primary and a subscription
     * {@code bench_native} on the subscriber without the initial copy, disabled once its slot
     * exists, so the backlog written from now on waits in the slot until it is enabled.
     */
    static void disabledSubscription(LocalPostgres primary, LocalPostgres subscriber) throws Exception {
        primary.execute("CREATE PUBLICATION bench_native FOR TABLE " + String.join(", ", TABLES));
        subscriber.execute("CREATE SUBSCRIPTION bench_native CONNECTION 'host=127.0.0.1 port=" + primary.port()
                + " user=postgres dbname=postgres' PUBLICATION bench_native WITH (copy_data = false)");
        Await.until(Duration.ofSeconds(30), () -> "the native subscription's slot", () ->
                "1".equals(primary.queryScalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bench_native'")));
        subscriber.execute("ALTER SUBSCRIPTION bench_native DISABLE");
    }

    /** Null when the follower equals the primary on every table, else the first table that differs. */
    static String firstDifference(LocalPostgres primary, LocalPostgres follower) throws SQLException {
        for (String t : TABLES) {
            if (!primary.rowsAsText(t).equals(follower.rowsAsText(t))) {
                return t;
            }
        }
        return null;
    }
}
