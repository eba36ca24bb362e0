package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CaptureIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static LocalKafka kafka;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start("capture-primary", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')");
            st.execute("""
                    CREATE TABLE t_types (id int PRIMARY KEY, c_small smallint, c_big bigint, c_num numeric(38,18),
                      c_num_free numeric, c_real real, c_double double precision, c_bool boolean, c_text text,
                      c_varchar varchar(20), c_char char(5), c_bytea bytea, c_date date, c_time time, c_timetz timetz,
                      c_ts timestamp, c_tstz timestamptz, c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb,
                      c_inet inet, c_cidr cidr, c_macaddr macaddr, c_int_arr int[], c_text_arr text[], c_mood mood,
                      c_big_text text)""");
            st.execute("CREATE TABLE t_acc (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))");
            st.execute("CREATE TABLE t_full (a int, b text)");
            st.execute("ALTER TABLE t_full REPLICA IDENTITY FULL");
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** One committed source transaction as the test saw it. */
    record Committed(long xid, Lsn lsnAfter, Instant before, Instant after) { }

    static Committed run(Connection c, String... sql) throws Exception {
        c.setAutoCommit(false);
        long xid;
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
            try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text")) {
                rs.next();
                xid = Long.parseLong(rs.getString(1)) & 0xFFFFFFFFL;
            }
        }
        Instant before = Instant.now();
        c.commit();
        Instant after = Instant.now();
        c.setAutoCommit(true);
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return new Committed(xid, Lsn.parse(rs.getString(1)), before, after);
        }
    }

    @Test
    void mixedWorkloadArrivesInCommitOrderWithWholeTransactions() throws Exception {
        List<Committed> committed = new ArrayList<>();
        try (CaptureService capture = new CaptureService(CaptureFixture.config(pg, kafka, "mix", dir.resolve("mix"),
                List.of("public.t_types", "public.t_acc", "public.t_full")));
             Connection c = pg.connect(); Connection c2 = pg.connect();
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "mix")) {
            capture.start();
            assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
            committed.add(run(c, """
                    INSERT INTO t_types VALUES (1, -32768, 9223372036854775807, 12345678901234567890.123456789012345678,
                      'NaN', 'Infinity', -0.1, true, 'héllo ''q''', '', 'ab', '\\x00ff', '2026-02-28', '23:59:59.999999',
                      '08:30:00+00', '1999-12-31 23:59:59.123456', '2026-03-29 01:00:00.000001+00',
                      '1 year 2 mons -3 days 04:05:06.000007', '123e4567-e89b-12d3-a456-426614174000',
                      '{"a": [1, 2]}', '{"b": null}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
                      '{1,NULL,3}', '{"a b",c}', 'happy', repeat('x', 300000))""",
                    "INSERT INTO t_acc VALUES (1, 'ann', 100.00), (2, 'bob', 50.50)"));
            committed.add(run(c, "UPDATE t_acc SET balance = balance - 10 WHERE id = 1", "DELETE FROM t_acc WHERE id = 2"));
            committed.add(run(c, "INSERT INTO t_full VALUES (1, 'x')", "UPDATE t_full SET b = 'y'", "DELETE FROM t_full"));
            committed.add(run(c, "INSERT INTO t_types (id, c_date, c_ts, c_tstz, c_num_free, c_double, c_text) VALUES"
                    + " (2, 'infinity', '-infinity', 'infinity', '-Infinity', 'NaN', NULL)"));
            committed.add(run(c, "UPDATE t_types SET c_small = 7 WHERE id = 1"));
            committed.add(run(c, "TRUNCATE t_full"));
            committed.add(run(c, "ALTER TABLE t_acc ADD COLUMN note text", "INSERT INTO t_acc VALUES (3, 'cy', 1, 'new')"));
            // Interleaved: the second starts last but commits first.
            c.setAutoCommit(false);
            c2.setAutoCommit(false);
            try (Statement s1 = c.createStatement(); Statement s2 = c2.createStatement()) {
                s1.execute("INSERT INTO t_acc VALUES (10, 'one', 1)");
                s2.execute("INSERT INTO t_acc VALUES (20, 'two', 2)");
                s1.execute("INSERT INTO t_acc VALUES (11, 'one', 1)");
                s2.execute("INSERT INTO t_acc VALUES (21, 'two', 2)");
            }
            c2.commit();
            c.commit();
            c.setAutoCommit(true);
            c2.setAutoCommit(true);

            List<ChangeEvent> events = reader.until(Duration.ofSeconds(60), "9 committed frames",
                    ev -> StreamReader.committedFrames(ev) >= 9);
            List<List<ChangeEvent>> frames = StreamReader.frames(events);
            assertThat(frames).hasSize(9);

            // Whole, well-formed frames: one xid and commit LSN each, seq 0..n+1, count on COMMIT.
            Lsn previous = Lsn.ZERO;
            for (List<ChangeEvent> f : frames) {
                ChangeEvent first = f.get(0);
                for (int i = 0; i < f.size(); i++) {
                    assertThat(f.get(i).header().seq()).isEqualTo(i);
                    assertThat(f.get(i).header().xid()).isEqualTo(first.header().xid());
                    assertThat(f.get(i).header().commitLsn()).isEqualTo(first.header().commitLsn());
                }
                assertThat(((ChangeEvent.Commit) f.get(f.size() - 1)).eventCount()).isEqualTo(f.size() - 2);
                assertThat(first.header().commitLsn()).isGreaterThan(previous);
                previous = first.header().commitLsn();
            }
            // Commit order, exact xids, commit LSN and time within what the client observed.
            Lsn lowerBound = Lsn.ZERO;
            for (int i = 0; i < committed.size(); i++) {
                Committed t = committed.get(i);
                ChangeEvent begin = frames.get(i).get(0);
                assertThat(begin.header().xid()).as("xid of transaction %d", i).isEqualTo(t.xid());
                assertThat(begin.header().commitLsn()).isGreaterThan(lowerBound).isLessThanOrEqualTo(t.lsnAfter());
                assertThat(begin.header().commitTime()).isBetween(t.before().minusMillis(1), t.after().plusMillis(1));
                lowerBound = t.lsnAfter();
            }
            assertThat(inserts(frames.get(7))).extracting(r -> r.get("id")).containsExactly(new Value.Int(20), new Value.Int(21));
            assertThat(inserts(frames.get(8))).extracting(r -> r.get("id")).containsExactly(new Value.Int(10), new Value.Int(11));

            // Every type, exactly.
            List<ChangeEvent> tx1 = frames.get(0);
            assertThat(tx1.get(1)).isInstanceOf(ChangeEvent.SchemaChange.class);
            ChangeEvent.SchemaChange typesShape = (ChangeEvent.SchemaChange) tx1.get(1);
            assertThat(typesShape.columns()).extracting(Column::type).contains("numeric(38,18)", "character varying(20)",
                    "character(5)", "timestamp with time zone", "integer[]", "mood", "jsonb", "interval");
            Map<String, Value> row = ((ChangeEvent.Insert) tx1.get(2)).after();
            assertThat(row.get("c_small")).isEqualTo(new Value.Int(-32768));
            assertThat(row.get("c_big")).isEqualTo(new Value.Int(Long.MAX_VALUE));
            assertThat(row.get("c_num")).isEqualTo(new Value.Numeric("12345678901234567890.123456789012345678"));
            assertThat(row.get("c_num_free")).isEqualTo(new Value.Numeric("NaN"));
            assertThat(row.get("c_real")).isEqualTo(new Value.Float64(Double.POSITIVE_INFINITY));
            assertThat(row.get("c_double")).isEqualTo(new Value.Float64(-0.1));
            assertThat(row.get("c_bool")).isEqualTo(new Value.Bool(true));
            assertThat(row.get("c_text")).isEqualTo(new Value.Text("héllo 'q'"));
            assertThat(row.get("c_varchar")).isEqualTo(new Value.Text(""));
            assertThat(row.get("c_char")).isEqualTo(new Value.Text("ab   "));
            assertThat(row.get("c_bytea")).isEqualTo(new Value.Bytes(new byte[] {0, (byte) 0xff}));
            assertThat(row.get("c_date")).isEqualTo(new Value.Date(LocalDate.of(2026, 2, 28)));
            assertThat(row.get("c_time")).isEqualTo(new Value.Time(LocalTime.of(23, 59, 59, 999_999_000)));
            assertThat(row.get("c_timetz")).isEqualTo(new Value.TimeTz(OffsetTime.of(8, 30, 0, 0, ZoneOffset.UTC)));
            assertThat(row.get("c_ts")).isEqualTo(new Value.Timestamp(LocalDateTime.of(1999, 12, 31, 23, 59, 59, 123_456_000)));
            assertThat(row.get("c_tstz")).isEqualTo(new Value.TimestampTz(Instant.parse("2026-03-29T01:00:00.000001Z")));
            assertThat(row.get("c_interval")).isEqualTo(new Value.Interval(14, -3, 14_706_000_007L));
            assertThat(row.get("c_uuid")).isEqualTo(new Value.Uuid(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")));
            assertThat(row.get("c_json")).isEqualTo(new Value.Json("{\"a\": [1, 2]}"));
            assertThat(row.get("c_jsonb")).isEqualTo(new Value.Json("{\"b\": null}"));
            assertThat(row.get("c_inet")).isEqualTo(new Value.Text("192.168.0.1/24"));
            assertThat(row.get("c_cidr")).isEqualTo(new Value.Text("10.0.0.0/8"));
            assertThat(row.get("c_macaddr")).isEqualTo(new Value.Text("08:00:2b:01:02:03"));
            assertThat(row.get("c_int_arr")).isEqualTo(new Value.Array(List.of(new Value.Int(1), Value.Null.INSTANCE, new Value.Int(3))));
            assertThat(row.get("c_text_arr")).isEqualTo(new Value.Array(List.of(new Value.Text("a b"), new Value.Text("c"))));
            assertThat(row.get("c_mood")).isEqualTo(new Value.Text("happy"));
            assertThat(((Value.Text) row.get("c_big_text")).value()).hasSize(300_000);

            // Updates carry no before image under DEFAULT; deletes only the key; FULL carries whole rows.
            ChangeEvent.Update upd = (ChangeEvent.Update) frames.get(1).get(1);
            assertThat(upd.before()).isEmpty();
            assertThat(upd.after().get("balance")).isEqualTo(Value.Numeric.of(new BigDecimal("90.00")));
            assertThat(((ChangeEvent.Delete) frames.get(1).get(2)).before()).containsOnlyKeys("id");
            List<ChangeEvent> full = frames.get(2);
            assertThat(((ChangeEvent.SchemaChange) full.get(1)).replicaIdentity()).isEqualTo(ChangeEvent.ReplicaIdentity.FULL);
            assertThat(((ChangeEvent.Update) full.get(3)).before()).containsEntry("b", new Value.Text("x"));
            assertThat(((ChangeEvent.Delete) full.get(4)).before()).containsEntry("b", new Value.Text("y")).containsKey("a");

            // Infinities and NULL.
            Map<String, Value> inf = ((ChangeEvent.Insert) frames.get(3).get(1)).after();
            assertThat(inf.get("c_date")).isEqualTo(new Value.Infinity(true));
            assertThat(inf.get("c_ts")).isEqualTo(new Value.Infinity(false));
            assertThat(inf.get("c_tstz")).isEqualTo(new Value.Infinity(true));
            assertThat(inf.get("c_num_free")).isEqualTo(new Value.Numeric("-Infinity"));
            assertThat(inf.get("c_double")).isEqualTo(new Value.Float64(Double.NaN));
            assertThat(inf.get("c_text")).isEqualTo(Value.Null.INSTANCE);

            // An unchanged TOASTed value is a marker, not NULL.
            Map<String, Value> toast = ((ChangeEvent.Update) frames.get(4).get(1)).after();
            assertThat(toast.get("c_small")).isEqualTo(new Value.Int(7));
            assertThat(toast.get("c_big_text")).isEqualTo(Value.Unchanged.INSTANCE);

            assertThat(frames.get(5).get(1)).isInstanceOfSatisfying(ChangeEvent.Truncate.class,
                    t -> assertThat(t.tables()).containsExactly(new TableId("public", "t_full")));

            // DDL: the new shape comes before the first row that uses it.
            List<ChangeEvent> ddl = frames.get(6);
            assertThat(ddl.get(1)).isInstanceOfSatisfying(ChangeEvent.SchemaChange.class, s ->
                    assertThat(s.columns()).extracting(Column::name).containsExactly("id", "owner", "balance", "note"));
            assertThat(((ChangeEvent.Insert) ddl.get(2)).after()).containsEntry("note", new Value.Text("new"));
        }
    }

    private static List<Map<String, Value>> inserts(List<ChangeEvent> frame) {
        return frame.stream().filter(e -> e instanceof ChangeEvent.Insert).map(e -> ((ChangeEvent.Insert) e).after()).toList();
    }

    @Test
    void aSlotDroppedBehindTheStreamsBackIsRefusedInsteadOfSilentlySkippingChanges() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_lost (id int PRIMARY KEY)");
        }
        CaptureConfig cfg = CaptureFixture.config(pg, kafka, "lost", dir.resolve("lost"), List.of("public.t_lost"));
        try (CaptureService capture = new CaptureService(cfg);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "lost");
             Connection c = pg.connect(); Statement st = c.createStatement()) {
            capture.start();
            st.execute("INSERT INTO t_lost VALUES (1)");
            reader.until(Duration.ofSeconds(30), "the insert on the stream", ev -> StreamReader.committedFrames(ev) >= 1);
        }
        pg.execute("SELECT pg_drop_replication_slot('" + cfg.slotName() + "')", "INSERT INTO t_lost VALUES (2)");
        // A new machine: no local state at all. The stream still says where capture was.
        CaptureConfig elsewhere = CaptureFixture.config(pg, kafka, "lost", dir.resolve("lost-elsewhere"), List.of("public.t_lost"));
        try (CaptureService again = new CaptureService(elsewhere)) {
            assertThatThrownBy(again::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("replication slot " + cfg.slotName() + " does not exist, but the stream sluice.lost.stream"
                            + " holds transactions up to")
                    .hasMessageContaining("--drop-slot");
        }
        assertThat(pg.queryScalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + cfg.slotName() + "'"))
                .as("no new slot was created behind the operator's back").isEqualTo("0");
        assertThat(CaptureService.dropSlot(cfg)).as("nothing left to drop").isFalse();
    }

    @Test
    void idleSourceStillSendsHeartbeatsAndAdvancesTheSlot() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_quiet (id int PRIMARY KEY)");
        }
        try (CaptureService capture = new CaptureService(CaptureFixture.config(pg, kafka, "quiet", dir.resolve("quiet"),
                List.of("public.t_quiet")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "quiet");
             Connection c = pg.connect(); Statement st = c.createStatement()) {
            capture.start();
            Lsn startSlot = Lsn.parse(capture.slot().orElseThrow().confirmedFlushLsn());
            // Other tables change; the captured one stays quiet.
            st.execute("CREATE TABLE t_noise (id int)");
            st.execute("INSERT INTO t_noise SELECT generate_series(1, 10000)");
            Lsn noise;
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                noise = Lsn.parse(rs.getString(1));
            }
            reader.until(Duration.ofSeconds(30), "a heartbeat past the unrelated writes", ev -> ev.stream()
                    .anyMatch(e -> e instanceof ChangeEvent.Heartbeat h && h.header().commitLsn().compareTo(noise) >= 0));
            io.sluice.embedded.Await.until(Duration.ofSeconds(30), () -> "slot confirmed_flush_lsn past " + noise,
                    () -> Lsn.parse(capture.slot().orElseThrow().confirmedFlushLsn()).compareTo(noise) >= 0);
            assertThat(Lsn.parse(capture.slot().orElseThrow().confirmedFlushLsn())).isGreaterThan(startSlot);
            assertThat(StreamReader.committedFrames(reader.events)).isZero();
        }
    }

    @Test
    void snapshotOfExistingRowsComesFirstAsOneFrame() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_pre (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO t_pre SELECT g, 'v' || g FROM generate_series(1, 500) g");
        }
        try (CaptureService capture = new CaptureService(CaptureFixture.config(pg, kafka, "snap", dir.resolve("snap"),
                List.of("public.t_pre"), true));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "snap");
             Connection c = pg.connect()) {
            capture.start();
            reader.until(Duration.ofSeconds(60), "the snapshot frame", ev -> StreamReader.committedFrames(ev) >= 1);
            Committed after = run(c, "INSERT INTO t_pre VALUES (501, 'after')");
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(60),
                    "snapshot and one transaction", ev -> StreamReader.committedFrames(ev) >= 2));
            assertThat(frames.get(0).stream().filter(e -> e instanceof ChangeEvent.Insert)).hasSize(500);
            assertThat(frames.get(1).get(0).header().xid()).isEqualTo(after.xid());
            assertThat(frames.get(1).get(0).header().commitLsn()).isGreaterThan(frames.get(0).get(0).header().commitLsn());
        }
    }

    @Test
    void largeTransactionStreamsThroughWhole() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_large (id int PRIMARY KEY, v text)");
        }
        int rows = 60_000; // past the 10,000 events capture keeps in memory, so it spills
        try (CaptureService capture = new CaptureService(CaptureFixture.config(pg, kafka, "large", dir.resolve("large"),
                List.of("public.t_large")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "large");
             Connection c = pg.connect()) {
            capture.start();
            Committed t = run(c, "INSERT INTO t_large SELECT g, 'row ' || g FROM generate_series(1, " + rows + ") g");
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(120), "the large frame",
                    ev -> StreamReader.committedFrames(ev) >= 1));
            List<ChangeEvent> f = frames.get(0);
            assertThat(f.get(0).header().xid()).isEqualTo(t.xid());
            assertThat(f.stream().filter(e -> e instanceof ChangeEvent.Insert)).hasSize(rows);
            for (int i = 0; i < f.size(); i++) {
                assertThat(f.get(i).header().seq()).isEqualTo(i);
            }
            assertThat(((ChangeEvent.Insert) f.get(f.size() - 2)).after().get("id")).isEqualTo(new Value.Int(rows));
        }
    }

    @Test
    void asTheSynchronousStandbyCaptureHoldsEachCommitUntilItsTransactionIsOnKafka() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_durable (id int PRIMARY KEY)");
        }
        CaptureConfig base = CaptureFixture.config(pg, kafka, "durable", dir.resolve("durable"), List.of("public.t_durable"));
        CaptureConfig cfg = new CaptureConfig(base.sourceId(), base.jdbcUrl(), base.connection(), base.kafka(), base.slotName(),
                base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(), base.snapshot(),
                base.stateDirectory(), java.util.Map.of("offset.flush.interval.ms", "0"));
        try (CaptureService capture = new CaptureService(cfg); Connection c = pg.connect(); Statement st = c.createStatement()) {
            capture.start();
            pg.execute("ALTER SYSTEM SET synchronous_standby_names = '\"Debezium Streaming\"'", "SELECT pg_reload_conf()");
            io.sluice.embedded.Await.until(Duration.ofSeconds(30), () -> "capture's walsender to be the synchronous standby",
                    () -> "sync".equals(pg.queryScalar("SELECT sync_state FROM pg_stat_replication WHERE application_name"
                            + " = 'Debezium Streaming'")));
            st.execute("SET statement_timeout = '30s'");
            st.execute("SET synchronous_commit = on");
            for (int i = 1; i <= 20; i++) {
                Lsn before;
                try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                    rs.next();
                    before = Lsn.parse(rs.getString(1));
                }
                st.executeUpdate("INSERT INTO t_durable VALUES (" + i + ")");
                assertThat(capture.lastCommittedLsn()).as("commit %d returned: its transaction is on Kafka", i).isGreaterThan(before);
            }
        } finally {
            pg.execute("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
        }
    }

    @Test
    void anUnreachablePrimaryFailsAtStartNamingItsAddress() throws Exception {
        int closed = io.sluice.embedded.FreePorts.pick(); // nothing listens there
        CaptureConfig good = CaptureFixture.config(pg, kafka, "nowhere", dir.resolve("nowhere"), List.of());
        CaptureConfig cfg = new CaptureConfig(good.sourceId(), "jdbc:postgresql://127.0.0.1:" + closed + "/postgres",
                good.connection(), good.kafka(), good.slotName(), good.publicationName(), good.tables(), good.heartbeatInterval(),
                good.pollInterval(), good.snapshot(), good.stateDirectory(), good.debezium());
        try (CaptureService capture = new CaptureService(cfg)) {
            assertThatThrownBy(capture::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("127.0.0.1:" + closed).hasMessageContaining("refused");
            assertThat(capture.state()).isEqualTo(CaptureService.State.FAILED);
        }
    }

    @Test
    void wrongPasswordFailsAtStartNamingTheSetting() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE pw_user LOGIN REPLICATION PASSWORD 'right'");
            st.execute("ALTER SYSTEM SET password_encryption = 'scram-sha-256'");
        }
        Path hba = pg.dataDirectory().resolve("pg_hba.conf");
        String original = java.nio.file.Files.readString(hba);
        java.nio.file.Files.writeString(hba, "host all pw_user 127.0.0.1/32 scram-sha-256\n" + original);
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_reload_conf()");
        }
        try {
            CaptureConfig base = CaptureFixture.config(pg, kafka, "badpw", dir.resolve("badpw"), List.of());
            Properties conn = new Properties();
            conn.setProperty("user", "pw_user");
            conn.setProperty("password", "wrong");
            CaptureConfig bad = new CaptureConfig(base.sourceId(), base.jdbcUrl(), conn, base.kafka(), base.slotName(),
                    base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(), true,
                    base.stateDirectory(), Map.of());
            CaptureService capture = new CaptureService(bad);
            assertThatThrownBy(capture::start)
                    .isInstanceOf(CaptureException.class)
                    .hasMessageContaining("primary.password")
                    .hasMessageContaining("pw_user")
                    .hasMessageNotContaining("wrong")
                    .satisfies(e -> assertThat(((CaptureException) e).kind()).isEqualTo(CaptureException.Kind.CONFIGURATION));
            assertThat(capture.state()).isEqualTo(CaptureService.State.FAILED);
        } finally {
            java.nio.file.Files.writeString(hba, original);
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("SELECT pg_reload_conf()");
            }
        }
    }

    @Test
    void missingPublicationPermissionFailsNamingTheFix() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE repl_only LOGIN REPLICATION");
        }
        CaptureConfig base = CaptureFixture.config(pg, kafka, "noperm", dir.resolve("noperm"), List.of());
        Properties conn = new Properties();
        conn.setProperty("user", "repl_only");
        CaptureConfig noPerm = new CaptureConfig(base.sourceId(), base.jdbcUrl(), conn, base.kafka(), base.slotName(),
                base.publicationName(), List.of(), base.heartbeatInterval(), base.pollInterval(), true,
                base.stateDirectory(), Map.of());
        assertThatThrownBy(() -> new CaptureService(noPerm).start())
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("capture.publication.name")
                .hasMessageContaining("CREATE PUBLICATION \"pub_noperm\" FOR ALL TABLES")
                .hasMessageContaining("superuser");
    }

    @Test
    void walLevelNotLogicalFailsNamingTheSetting() throws Exception {
        try (LocalPostgres replica = LocalPostgres.builder("wal-replica").dataDirectory(dir.resolve("wal-replica"))
                .setting("wal_level", "replica").start()) {
            CaptureConfig cfg = CaptureFixture.config(replica, kafka, "walrep", dir.resolve("walrep"), List.of());
            assertThatThrownBy(() -> new CaptureService(cfg).start())
                    .isInstanceOf(CaptureException.class)
                    .hasMessageContaining("wal_level=replica")
                    .hasMessageContaining("wal_level=logical")
                    .hasMessageContaining("restart the primary");
        }
    }
}
