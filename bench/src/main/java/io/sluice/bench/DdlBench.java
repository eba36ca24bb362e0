package io.sluice.bench;

import io.sluice.capture.CaptureService;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/**
 * What capture's DDL triggers cost the primary: each {@code CREATE TABLE} and {@code ALTER TABLE …
 * ADD COLUMN … DEFAULT} timed as a transaction of its own, in a database captured by Sluice (its
 * triggers installed, capture running) and in one of the same server that only has a
 * {@code FOR ALL TABLES} publication, as native logical replication would, each holding
 * {@code existing} tables first. Per command: p50 / p95 / p99 of each, and their ratio.
 */
public final class DdlBench {

    /** Commands of each kind run and discarded before the timed ones: plans and caches made. */
    private static final int WARMUP = 20;

    private final Path dir;
    private final int existing;
    private final int tables;

    public DdlBench(Path dir, int existing, int tables) {
        this.dir = dir;
        this.existing = existing;
        this.tables = tables;
    }

    public String run() throws Exception {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "ddl: %,d CREATE TABLE and %,d ALTER TABLE … ADD COLUMN … DEFAULT, each its own transaction, in databases of %,d tables%n",
                tables, tables, existing));
        try (LocalPostgres pg = LocalPostgres.start("ddl-primary", dir);
             LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"))) {
            pg.createDatabase("plain");
            try (Connection c = pg.connect("plain"); Statement st = c.createStatement()) {
                populate(st);
                st.execute("CREATE PUBLICATION plain_all FOR ALL TABLES");
            }
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                populate(st);
            }
            Percentiles[] plain;
            try (Connection c = pg.connect("plain")) {
                plain = time(c);
            }
            Percentiles[] captured;
            try (CaptureService capture = new CaptureService(BenchStack.capture("ddl", pg, kafka, List.of(), dir));
                 Connection c = pg.connect()) {
                capture.start();
                captured = time(c);
            }
            String[] kinds = {"CREATE TABLE", "ALTER TABLE"};
            for (int k = 0; k < 2; k++) {
                out.append(String.format(Locale.ROOT, "  %-12s without the triggers: %s%n", kinds[k], plain[k].ms()));
                out.append(String.format(Locale.ROOT, "  %-12s captured by Sluice:   %s (p50 %.1f×)%n", kinds[k], captured[k].ms(),
                        captured[k].p50() / plain[k].p50()));
            }
        }
        return out.toString();
    }

    private void populate(Statement st) throws SQLException {
        for (int from = 1; from <= existing; from += 500) { // a transaction per 500: each table takes locks until its end
            st.execute("DO $$ BEGIN FOR i IN " + from + ".." + Math.min(existing, from + 499)
                    + " LOOP EXECUTE format('CREATE TABLE existing_%s (id int PRIMARY KEY, v text)', i); END LOOP; END $$");
        }
    }

    /** The CREATE TABLEs' and the ALTER TABLEs' latencies on {@code c}, in autocommit. */
    private Percentiles[] time(Connection c) throws SQLException {
        long[] creates = new long[tables];
        long[] alters = new long[tables];
        try (Statement st = c.createStatement()) {
            for (int i = -WARMUP; i < tables; i++) {
                String name = "d_" + (i + WARMUP);
                long t0 = System.nanoTime();
                st.execute("CREATE TABLE " + name + " (id int PRIMARY KEY, v text)");
                long t1 = System.nanoTime();
                st.execute("ALTER TABLE " + name + " ADD COLUMN w int DEFAULT 1");
                long t2 = System.nanoTime();
                if (i >= 0) {
                    creates[i] = (t1 - t0) / 1000;
                    alters[i] = (t2 - t1) / 1000;
                }
            }
        }
        return new Percentiles[] {Percentiles.ofMicros(creates, tables), Percentiles.ofMicros(alters, tables)};
    }
}
