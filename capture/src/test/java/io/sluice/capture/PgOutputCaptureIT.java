package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capture contract on Sluice's own pgoutput reader, the default engine. */
class PgOutputCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }

    /** The contract's backlog (read through SQL by default) read through the walsender instead. */
    @Test
    void aBacklogReadThroughTheWalsenderArrivesWholeAndInCommitOrder() throws Exception {
        backlogArrivesWholeAndInCommitOrder("backlogws", cfg -> cfg.withCatchUp(CaptureConfig.CatchUp.WALSENDER));
    }

    /**
     * A backlog read through SQL is confirmed through its last chunk by SQL too, past a
     * running_xacts record capture writes first, so the slot's restart point moves past the
     * backlog: the walsender that streams after it reads none of the backlog again. The slot is
     * never confirmed past the stream's end: a capture started again resumes instead of refusing.
     */
    @Test
    void theSqlCatchUpMovesTheSlotsRestartPointPastTheBacklog() throws Exception {
        CaptureConfig cfg = config(pg, "sqlconfirm", List.of("public.t_sqlconfirm"));
        pg.execute("CREATE TABLE t_sqlconfirm (id int PRIMARY KEY, v text)",
                "ALTER TABLE t_sqlconfirm ALTER COLUMN v SET STORAGE EXTERNAL");
        try (CaptureService first = new CaptureService(cfg)) {
            first.start(); // the slot, from here on
        }
        int transactions = 300; // ~6 MB of WAL: more than capture reads through the walsender
        try (java.sql.Connection c = pg.connect()) {
            for (int i = 0; i < transactions; i++) {
                run(c, "INSERT INTO t_sqlconfirm SELECT " + (i * 3) + " + g, repeat(md5(g::text), 200) FROM generate_series(0, 2) g");
            }
        }
        io.sluice.format.Lsn end = io.sluice.format.Lsn.parse(pg.queryScalar("SELECT pg_current_wal_flush_lsn()::text"));
        try (CaptureService capture = new CaptureService(cfg);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "sqlconfirm")) {
            capture.start();
            List<ChangeEvent> events = reader.until(Duration.ofSeconds(120), "the backlog's transactions",
                    ev -> StreamReader.insertedRows(ev) >= 3L * transactions);
            io.sluice.format.Lsn last = events.stream().filter(e -> e instanceof ChangeEvent.Commit)
                    .map(e -> e.header().commitLsn()).reduce((a, b) -> b).orElseThrow();
            io.sluice.embedded.Await.until(Duration.ofSeconds(60), () -> "slot " + cfg.slotName() + " confirmed up to " + last
                            + " and its restart point past the backlog's end " + end,
                    () -> io.sluice.format.Lsn.parse(pg.queryScalar("SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                            + " WHERE slot_name = '" + cfg.slotName() + "'")).compareTo(last) >= 0
                            && io.sluice.format.Lsn.parse(pg.queryScalar("SELECT restart_lsn::text FROM pg_replication_slots"
                            + " WHERE slot_name = '" + cfg.slotName() + "'")).compareTo(end) >= 0);
        }
        try (CaptureService again = new CaptureService(cfg)) {
            again.start(); // refused if the slot were confirmed past what the stream holds
        }
    }

    /**
     * A capture started while a transaction that wrote is still open: PostgreSQL makes the slot only once it has ended,
     * and capture says which transaction it waits for, naming its process, instead of hanging silently; it starts when
     * the transaction commits.
     */
    @Test
    void aStartHeldByAnOpenTransactionSaysWhichItWaitsFor() throws Exception {
        var seen = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        seen.start();
        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(io.sluice.capture.internal.SlotCreationWatch.class);
        logger.addAppender(seen);
        pg.execute("CREATE TABLE t_slotwait (id int PRIMARY KEY)");
        try (java.sql.Connection open = pg.connect(); java.sql.Statement st = open.createStatement();
             CaptureService capture = new CaptureService(config(pg, "slotwait", List.of("public.t_slotwait")))) {
            open.setAutoCommit(false);
            st.execute("INSERT INTO t_slotwait VALUES (1)");
            String pid;
            try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getString(1);
            }
            var started = java.util.concurrent.CompletableFuture.runAsync(capture::start);
            io.sluice.embedded.Await.until(Duration.ofSeconds(60), () -> "capture to say it waits for process " + pid + ": "
                            + seen.list, () -> seen.list.stream().anyMatch(e -> e.getFormattedMessage().contains("pid " + pid + " (")));
            assertThat(started).as("held by the open transaction").isNotDone();
            open.commit();
            started.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            logger.detachAppender(seen);
        }
    }

    /**
     * A message capture passes over — a report of sequences it did not write, an earlier capture process's read again
     * after a restart — reaches no stream, so the slot is not confirmed at it: before, it was, and a capture stopped before
     * anything else reached the stream refused to start again, the slot "past the end of the stream" (the random run's
     * seed 17). No heartbeat here, which would move the stream past it.
     */
    @Test
    void aMessagePassedOverDoesNotMoveTheSlotPastTheStream() throws Exception {
        CaptureConfig base = config(pg, "passedover", List.of("public.t_passedover"));
        CaptureConfig cfg = new CaptureConfig(base.sourceId(), base.jdbcUrl(), base.connection(), base.kafka(), base.slotName(),
                base.publicationName(), base.tables(), Duration.ofHours(1), base.pollInterval(), base.snapshot(),
                base.stateDirectory(), base.debezium(), base.engine(), base.failover(), base.origins(), base.catchUp());
        pg.execute("CREATE TABLE t_passedover (id int PRIMARY KEY)");
        try (StreamReader reader = new StreamReader(kafka.bootstrapServers(), "passedover")) {
            try (CaptureService capture = new CaptureService(cfg)) {
                capture.start();
                pg.execute("INSERT INTO t_passedover VALUES (1)");
                reader.until(Duration.ofSeconds(60), "the first row", ev -> StreamReader.insertedRows(ev) >= 1);
                io.sluice.format.Lsn passedOver = io.sluice.format.Lsn.parse(pg.queryScalar(
                        "SELECT pg_logical_emit_message(false, '" + io.sluice.format.SequenceState.PREFIX + "', '{}', true)::text"));
                String walsender = CaptureService.walSenderName(cfg);
                String sent = pg.queryScalar("SELECT now()::text");
                // Capture has read the message once the walsender sent it and capture answered after that.
                io.sluice.embedded.Await.until(Duration.ofSeconds(60), () -> "capture to answer after reading the message at " + passedOver,
                        () -> "t".equals(pg.queryScalar("SELECT sent_lsn > '" + passedOver + "' AND reply_time > '" + sent
                                + "' FROM pg_stat_replication WHERE application_name = '" + walsender + "'")));
            }
            try (CaptureService again = new CaptureService(cfg)) {
                again.start(); // refused if the slot were confirmed past what the stream holds
                pg.execute("INSERT INTO t_passedover VALUES (2)");
                reader.until(Duration.ofSeconds(60), "the row written after the restart", ev -> StreamReader.insertedRows(ev) >= 2);
            }
        }
    }

    /**
     * A backlog holding rows of a table and a type both dropped before capture read them: the
     * catalog no longer has the type, so it is named as pgoutput's Type message names it, and
     * capture goes on instead of stopping at every start on the same valid change.
     */
    @Test
    void rowsOfATypeDroppedSinceTheyWereWrittenAreCapturedWithTheTypesName() throws Exception {
        CaptureConfig cfg = config(pg, "droppedtype", List.of());
        try (CaptureService first = new CaptureService(cfg)) {
            first.start(); // the slot, from here on
        }
        pg.execute("CREATE TYPE gone_mood AS ENUM ('low', 'high')",
                "CREATE TABLE gone_t (id int PRIMARY KEY, m gone_mood, ms gone_mood[])",
                "INSERT INTO gone_t VALUES (1, 'high', '{low,high}')",
                "DROP TABLE gone_t", "DROP TYPE gone_mood",
                "CREATE TABLE after_gone (id int PRIMARY KEY)", "INSERT INTO after_gone VALUES (7)");
        try (CaptureService capture = new CaptureService(cfg);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "droppedtype")) {
            capture.start();
            List<ChangeEvent> events = reader.until(Duration.ofSeconds(60), "the row written after the drop",
                    ev -> StreamReader.inserts(ev).stream().anyMatch(i -> i.table().table().equals("after_gone")));
            ChangeEvent.SchemaChange gone = events.stream().filter(e -> e instanceof ChangeEvent.SchemaChange s
                    && s.table().table().equals("gone_t")).map(e -> (ChangeEvent.SchemaChange) e).findFirst().orElseThrow();
            assertThat(gone.columns()).extracting(Column::name, Column::type).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("id", "integer"),
                    org.assertj.core.groups.Tuple.tuple("m", "\"public\".\"gone_mood\""),
                    org.assertj.core.groups.Tuple.tuple("ms", "\"public\".\"_gone_mood\""));
            assertThat(StreamReader.inserts(events)).filteredOn(i -> i.table().table().equals("gone_t")).hasSize(1);
            assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
        }
    }
}
