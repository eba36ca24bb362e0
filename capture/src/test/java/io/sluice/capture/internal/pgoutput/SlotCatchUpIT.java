package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.capture.internal.StreamWriter;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.Lsn;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a backlog through SQL against a real primary: every transaction once, whole and in
 * commit order; the slot moved exactly to what was read; not used where a synchronous standby
 * setting waits for capture's walsender.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SlotCatchUpIT {

    private static final String PUBLICATION = "pub_catchup";
    private static final String SOURCE = "catchup";

    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static LocalKafka kafka;
    static StreamWriter writer;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start("slot-catchup", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
        writer = new StreamWriter("catchup", Map.of("bootstrap.servers", kafka.bootstrapServers()), null);
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text)", "ALTER TABLE t ALTER COLUMN v SET STORAGE EXTERNAL",
                "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE t");
    }

    @AfterAll
    static void stop() {
        if (writer != null) {
            writer.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** What a handler saw: each message's type, each transaction's xid at its Begin. */
    static class Seen implements SlotCatchUp.Handler {
        final PgOutputDecoder decoder = new PgOutputDecoder();
        final StringBuilder types = new StringBuilder();
        final List<Long> xids = new ArrayList<>();

        /** Capture's catch-up sessions on the primary as the first message was handled. */
        String sessions;

        @Override
        public Lsn handle(ByteBuffer message) {
            if (sessions == null) {
                try {
                    sessions = pg.queryScalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                            + io.sluice.format.CaptureSessions.catchUp(SOURCE) + "'");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
            PgOutputMessage m = decoder.decode(message);
            types.append((char) message.get(0));
            if (m instanceof PgOutputMessage.Begin b) {
                xids.add(b.xid());
            }
            // A frame closes at a commit and at a heartbeat (a non-transactional message), as the framer's do.
            return m instanceof PgOutputMessage.Commit c ? c.endLsn()
                    : m instanceof PgOutputMessage.LogicalMessage l && !l.transactional() ? l.lsn() : null;
        }

        @Override
        public void discardOpen() {
            throw new AssertionError("nothing failed: nothing to discard");
        }
    }

    static Supplier<Connection> sessions() {
        return sessions("postgres");
    }

    /** Plain sessions as {@code role}, with the walsender's output settings, as capture's are. */
    static Supplier<Connection> sessions(String role) {
        return () -> {
            try {
                Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl().replace("user=postgres", "user=" + role));
                PrimarySession.withSessionSettings(c);
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static Lsn query(String sql) throws SQLException {
        return Lsn.parse(pg.queryScalar(sql));
    }

    static Lsn confirmed(String slot) throws SQLException {
        return query("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    static Lsn restart(String slot) throws SQLException {
        return query("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    /** {@code n} transactions of 3 rows, about 20 KiB of WAL each; their xids in commit order. */
    static List<Long> backlog(int first, int n) throws SQLException {
        try (Connection c = pg.connect()) {
            return backlog(c, first, n);
        }
    }

    static List<Long> backlog(Connection c, int first, int n) throws SQLException {
        List<Long> xids = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = first; i < first + n; i++) {
                st.execute("INSERT INTO t SELECT " + (i * 3) + " + g, repeat(md5(g::text), 200) FROM generate_series(0, 2) g");
                try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
                    rs.next();
                    xids.add(Long.parseLong(rs.getString(1)) & 0xFFFFFFFFL);
                }
                c.commit();
            }
        }
        return xids;
    }

    @Test
    void aBacklogFarBehindIsReadOnceWholeAndInOrderAndTheSlotMovesExactlyToWhatWasRead() throws Exception {
        pg.execute("SELECT pg_create_logical_replication_slot('catchup_a', 'pgoutput')");
        Lsn start = confirmed("catchup_a");
        List<Long> xids = backlog(0, 400);
        Lsn end = query("SELECT pg_current_wal_flush_lsn()::text");
        assertThat(end.minus(start)).as("the backlog is beyond the bound").isGreaterThan(SlotCatchUp.BEHIND_BYTES);

        Seen seen = new Seen();
        Lsn reached;
        try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
            // A first chunk of 500 messages: the backlog is read in chunks, the slot moved after each.
            reached = new SlotCatchUp(sessions(), "catchup_a", PUBLICATION, false, SOURCE, 500)
                    .run(Lsn.ZERO, probe, seen, writer, () -> false);
        }
        assertThat(reached).as("the whole backlog read, and no further than the WAL's end").isGreaterThan(end)
                .isLessThanOrEqualTo(query("SELECT pg_current_wal_flush_lsn()::text"));
        assertThat(confirmed("catchup_a")).as("the slot confirmed through the last chunk too").isEqualTo(reached);
        assertThat(restart("catchup_a")).as("its restart point past the backlog: the walsender that follows reads none of it again")
                .isGreaterThanOrEqualTo(end);
        assertThat(seen.xids).as("every transaction once, in commit order").isEqualTo(xids);
        assertThat(seen.types.toString().replace("R", "")).as("whole transactions: Begin, three inserts, Commit; a heartbeat last")
                .matches("(BIIIC)+M");
        assertThat(seen.types.chars().filter(ch -> ch == 'R')).as("a relation message per chunk: more than one chunk").hasSizeGreaterThan(1);
        assertThat(seen.sessions).as("the session reading is named as capture's catch-up, as the lag monitor looks for").isEqualTo("1");

        Seen again = new Seen();
        try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
            assertThat(new SlotCatchUp(sessions(), "catchup_a", PUBLICATION, false, SOURCE)
                    .run(reached, probe, again, writer, () -> false)).as("within the bound: nothing to do").isEqualTo(reached);
        }
        assertThat(again.types).isEmpty();
        pg.execute("SELECT pg_drop_replication_slot('catchup_a')");
    }

    /**
     * A replication role that may not write the restart point ({@code pg_log_standby_snapshot} is
     * not granted to it) still reads the backlog whole and confirms the slot through its last commit.
     */
    @Test
    void aRoleThatMayNotWriteARestartPointStillReadsTheBacklogWholeAndConfirmsIt() throws Exception {
        pg.execute("CREATE ROLE catchup_plain LOGIN REPLICATION", "SELECT pg_create_logical_replication_slot('catchup_f', 'pgoutput')");
        assertThat(pg.queryScalar("SELECT has_function_privilege('catchup_plain', 'pg_log_standby_snapshot()', 'EXECUTE')"))
                .as("the function is not the role's to run").isEqualTo("f");
        List<Long> xids = backlog(80_000, 300);
        Seen seen = new Seen();
        Lsn reached;
        try (BacklogProbe probe = new BacklogProbe(sessions("catchup_plain"), java.time.Clock.systemUTC())) {
            reached = new SlotCatchUp(sessions("catchup_plain"), "catchup_f", PUBLICATION, false, SOURCE, 500)
                    .run(Lsn.ZERO, probe, seen, writer, () -> false);
        }
        assertThat(seen.xids).as("every transaction once, in commit order").isEqualTo(xids);
        assertThat(seen.types.toString()).as("no heartbeat written").doesNotContain("M");
        assertThat(confirmed("catchup_f")).as("the slot confirmed through the last commit read").isEqualTo(reached);
        pg.execute("SELECT pg_drop_replication_slot('catchup_f')");
    }

    @Test
    void whatThePrimaryWritesDuringTheCatchUpIsLeftToTheWalsender() throws Exception {
        pg.execute("SELECT pg_create_logical_replication_slot('catchup_e', 'pgoutput')");
        List<Long> before = backlog(60_000, 300);
        Lsn end = query("SELECT pg_current_wal_flush_lsn()::text");
        List<Long> during = new ArrayList<>();
        List<Lsn> endBefore = new ArrayList<>();
        Seen seen = new Seen() {
            @Override
            public Lsn handle(ByteBuffer message) {
                if (during.isEmpty()) {
                    try {
                        endBefore.add(query("SELECT pg_current_wal_flush_lsn()::text"));
                        during.addAll(backlog(70_000, 300)); // more than the bound, written while the first chunk is read
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return super.handle(message);
            }
        };
        Lsn reached;
        try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
            reached = new SlotCatchUp(sessions(), "catchup_e", PUBLICATION, false, SOURCE, 500)
                    .run(Lsn.ZERO, probe, seen, writer, () -> false);
        }
        assertThat(query("SELECT pg_current_wal_flush_lsn()::text").minus(end)).as("written during the catch-up")
                .isGreaterThan(SlotCatchUp.BEHIND_BYTES);
        assertThat(reached).as("no further than the WAL's end as the reading began").isLessThanOrEqualTo(endBefore.get(0));
        assertThat(seen.xids).as("the backlog as it stood, none of what came after").isEqualTo(before)
                .doesNotContainAnyElementsOf(during);
        pg.execute("SELECT pg_drop_replication_slot('catchup_e')");
    }

    @Test
    void whatTheStreamAlreadyHoldsIsSkippedByMovingTheSlotFirst() throws Exception {
        pg.execute("SELECT pg_create_logical_replication_slot('catchup_b', 'pgoutput')");
        List<Long> held = backlog(10_000, 100);
        Lsn onKafka = query("SELECT pg_current_wal_flush_lsn()::text"); // as if the stream held these 100
        List<Long> rest = backlog(20_000, 300);

        Seen seen = new Seen();
        try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
            new SlotCatchUp(sessions(), "catchup_b", PUBLICATION, false, SOURCE).run(onKafka, probe, seen, writer, () -> false);
        }
        assertThat(seen.xids).as("none of what the stream holds").doesNotContainAnyElementsOf(held)
                .isEqualTo(rest.subList(0, seen.xids.size()));
        assertThat(seen.xids).isNotEmpty();
        pg.execute("SELECT pg_drop_replication_slot('catchup_b')");
    }

    @Test
    void readingOnlyLocalChangesLeavesOutWhatWasWrittenUnderAReplicationOrigin() throws Exception {
        pg.execute("SELECT pg_create_logical_replication_slot('catchup_d', 'pgoutput')",
                "SELECT pg_replication_origin_create('elsewhere')");
        List<Long> applied;
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_replication_origin_session_setup('elsewhere')"); // as an applier writes
            applied = backlog(c, 40_000, 150);
            st.execute("SELECT pg_replication_origin_session_reset()");
            c.commit();
        }
        List<Long> local = backlog(50_000, 250);

        Seen seen = new Seen();
        try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
            new SlotCatchUp(sessions(), "catchup_d", PUBLICATION, true, SOURCE).run(Lsn.ZERO, probe, seen, writer, () -> false);
        }
        assertThat(seen.xids).as("the local transactions, none written under the origin").isNotEmpty()
                .doesNotContainAnyElementsOf(applied).isEqualTo(local.subList(0, seen.xids.size()));
        pg.execute("SELECT pg_drop_replication_slot('catchup_d')", "SELECT pg_replication_origin_drop('elsewhere')");
    }

    @Test
    void notUsedWhereASynchronousStandbySettingWaitsForCapturesWalsender() throws Exception {
        pg.execute("SELECT pg_create_logical_replication_slot('catchup_c', 'pgoutput')");
        Lsn start = confirmed("catchup_c");
        backlog(30_000, 300);
        // Named but with no such walsender connected, commits would wait: set it only after the backlog.
        String walsender = io.sluice.format.CaptureSessions.walsender(SOURCE);
        pg.execute("ALTER SYSTEM SET synchronous_standby_names = '\"" + walsender + "\"'", "SELECT pg_reload_conf()");
        try {
            io.sluice.embedded.Await.until(java.time.Duration.ofSeconds(10), () -> "the setting to be in force",
                    () -> pg.queryScalar("SHOW synchronous_standby_names").contains(walsender));
            Seen seen = new Seen();
            Lsn reached;
            try (BacklogProbe probe = new BacklogProbe(sessions(), java.time.Clock.systemUTC())) {
                reached = new SlotCatchUp(sessions(), "catchup_c", PUBLICATION, false, SOURCE)
                        .run(Lsn.ZERO, probe, seen, writer, () -> false);
            }
            assertThat(reached).isEqualTo(Lsn.ZERO);
            assertThat(seen.types).as("nothing read through SQL").isEmpty();
            assertThat(confirmed("catchup_c")).as("the slot did not move").isEqualTo(start);
        } finally {
            pg.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
            pg.execute("SELECT pg_drop_replication_slot('catchup_c')");
        }
    }
}
