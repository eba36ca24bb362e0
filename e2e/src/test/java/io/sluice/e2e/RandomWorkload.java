package io.sluice.e2e;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;

/**
 * Seeded random DDL and DML on a primary, in the schemas {@code rnd} and {@code rnd2}: tables of many types created,
 * altered (columns added with defaults and identities, dropped, renamed, retyped; keys and replica identity changed),
 * renamed, moved, truncated and dropped; an enum's labels added and renamed, a composite type's attributes added and
 * dropped, a domain's constraint added and dropped; partitions attached and detached; tables inheriting others, made
 * unlogged and logged again, made by CREATE TABLE AS; rows inserted (thousands at once too), updated (keys too), upserted
 * and deleted, several statements to a transaction and some transactions rolled back, while a second session now and
 * then holds rows of its own uncommitted across several of them. What it picks reads the primary's catalog as it is
 * ({@link RandomStatements}), so a statement the primary refuses (a type change its rows do not allow, say) is only a
 * statement that did nothing. The values are {@link RandomValues}'.
 */
final class RandomWorkload {

    private final Random random;
    private final RandomStatements statements;
    private final Connection c;
    /** The second session, and how many more of the first's transactions its own stays open for (0: none open). */
    private final Connection side;
    private int sideOpen;
    private int applied;
    private int refused;

    RandomWorkload(long seed, Connection primary, Connection side) throws SQLException {
        this.random = new Random(seed);
        this.statements = new RandomStatements(random, primary);
        this.c = primary;
        this.side = side;
        // A statement that would wait for the other session's locks is refused instead: one thread drives both.
        for (Connection s : List.of(primary, side)) {
            try (Statement st = s.createStatement()) {
                st.execute("SET lock_timeout = '200ms'");
            }
        }
    }

    /**
     * The schemas and types the tables use (once, before capture starts). The composite holds no enum: a label renamed
     * after a value inside a composite was written reaches the follower by its old name (docs/capture.md, a gap still open).
     */
    static void prepare(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA rnd; CREATE SCHEMA rnd2; CREATE TYPE rnd.mood AS ENUM ('m0', 'm1');"
                    + " CREATE DOMAIN rnd.dm AS integer CHECK (VALUE > -1000000);"
                    + " CREATE TYPE rnd.pair AS (n integer, w text)");
        }
    }

    /**
     * One transaction of one to four statements, committed, or one in ten rolled back; then, now and then, the second
     * session's transaction ended, or one begun with a row inserted.
     */
    void transaction() throws SQLException {
        c.setAutoCommit(false);
        try {
            int n = 1 + random.nextInt(4);
            for (int i = 0; i < n; i++) {
                run(c, statements.next());
            }
            end(c);
        } finally {
            c.setAutoCommit(true);
        }
        if (sideOpen > 0 && --sideOpen == 0) {
            end(side);
            side.setAutoCommit(true);
        } else if (sideOpen == 0 && random.nextInt(6) == 0) {
            List<String> tables = statements.tables();
            if (!tables.isEmpty()) {
                side.setAutoCommit(false);
                run(side, statements.insert(tables.get(random.nextInt(tables.size())), true));
                sideOpen = 1 + random.nextInt(4);
            }
        }
    }

    /**
     * Ends the second session's transaction, if one is open: a logical slot is made only once every transaction running
     * then has ended (PostgreSQL), and this thread drives both sessions.
     */
    void settle() throws SQLException {
        if (sideOpen > 0) {
            sideOpen = 0;
            end(side);
            side.setAutoCommit(true);
        }
    }

    /** Commits, or one time in ten rolls back. */
    private void end(Connection session) throws SQLException {
        if (random.nextInt(10) == 0) {
            session.rollback();
            print(session == side ? "rolled back (second session)" : "rolled back", "");
        } else {
            session.commit();
            print(session == side ? "committed (second session)" : "committed", "");
        }
    }

    /** Runs a statement in its own savepoint: one the primary refuses did nothing. */
    private void run(Connection session, String sql) throws SQLException {
        if (sql == null) {
            return;
        }
        try (Statement st = session.createStatement()) {
            st.execute("SAVEPOINT s");
            try {
                st.execute(sql);
                st.execute("RELEASE SAVEPOINT s");
                applied++;
                print(session == side ? "ok (second session)" : "ok", sql);
            } catch (SQLException e) {
                st.execute("ROLLBACK TO SAVEPOINT s");
                refused++;
                print("refused (" + e.getMessage().lines().findFirst().orElse("") + ")", sql);
            }
        }
    }

    /** With {@code -Dsluice.random.print=true}, each statement and what the primary said: to find what a seed did. */
    private static void print(String outcome, String sql) {
        if (Boolean.getBoolean("sluice.random.print")) {
            System.out.println("random statement " + outcome + ": " + (sql.length() > 300 ? sql.substring(0, 300) + "…" : sql));
        }
    }

    /** How many statements the primary took and how many it refused, so far. */
    String tally() {
        return applied + " statements taken, " + refused + " refused";
    }
}
