package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.Fragments;
import io.sluice.format.Lsn;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What capture must do, whichever engine reads the slot: each engine's test class runs every
 * test here against its own embedded primary and Kafka. Values are compared by what they mean
 * to PostgreSQL — the text the primary prints for them, read back through the column's type —
 * since the engines may hold the same value in different kinds (Debezium's typed values,
 * pgoutput's server text).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class CaptureContract {

    /** The engine under test. */
    abstract CaptureConfig.Engine engine();

    CaptureConfig config(LocalPostgres server, String source, List<String> tables) {
        return CaptureFixture.config(server, kafka, source, dir.resolve(source), tables).withEngine(engine());
    }

    CaptureConfig config(LocalPostgres server, String source, List<String> tables, boolean snapshot) {
        return CaptureFixture.config(server, kafka, source, dir.resolve(source), tables, snapshot).withEngine(engine());
    }

    /** The primary's own text for {@code value} read as {@code type}. */
    static String onPrimary(Value value, String type) throws Exception {
        return value instanceof Value.Null ? null : onPrimary(SqlText.of(value), type);
    }

    static String onPrimary(String text, String type) throws Exception {
        try (Connection c = pg.connect(); java.sql.PreparedStatement ps = c.prepareStatement("SELECT (?::" + type + ")::text")) {
            ps.setString(1, text);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    static void assertMeans(Map<String, Value> row, Map<String, String> types, String column, String literal) throws Exception {
        String type = types.get(column);
        assertThat(onPrimary(row.get(column), type)).as("%s (%s): %s", column, type, row.get(column))
                .isEqualTo(literal == null ? null : onPrimary(literal, type));
    }

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
                      c_varchar varchar(20), c_char char(5), c_bytea bytea, c_date date, c_time time,
                      c_ts timestamp, c_tstz timestamptz, c_uuid uuid, c_json json, c_jsonb jsonb,
                      c_inet inet, c_cidr cidr, c_macaddr macaddr, c_mood mood, c_big_text text)""");
            // Types the Debezium engine refuses (DebeziumTypes): captured only by the engines that carry them.
            st.execute("""
                    CREATE TABLE t_types_more (id int PRIMARY KEY, c_timetz timetz, c_interval interval, c_int_arr int[],
                      c_text_arr text[], c_int_arr2 int[], c_point point, c_bits bit(5), c_time24 time)""");
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
        List<String> captured = new ArrayList<>(List.of("public.t_types", "public.t_acc", "public.t_full"));
        if (engine() == CaptureConfig.Engine.PGOUTPUT) {
            captured.add("public.t_types_more");
        }
        try (CaptureService capture = new CaptureService(config(pg, "mix", captured));
             Connection c = pg.connect(); Connection c2 = pg.connect();
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "mix")) {
            capture.start();
            assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
            committed.add(run(c, """
                    INSERT INTO t_types VALUES (1, -32768, 9223372036854775807, 12345678901234567890.123456789012345678,
                      'NaN', 'Infinity', -0.1, true, 'héllo ''q''', '', 'ab', '\\x00ff', '2026-02-28', '23:59:59.999999',
                      '1999-12-31 23:59:59.123456', '2026-03-29 01:00:00.000001+00', '123e4567-e89b-12d3-a456-426614174000',
                      '{"a": [1, 2]}', '{"b": null}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
                      'happy', repeat('x', 300000))""",
                    "INSERT INTO t_acc VALUES (1, 'ann', 100.00), (2, 'bob', 50.50)",
                    """
                    INSERT INTO t_types_more VALUES (1, '08:30:00+05:30', '1 year 2 mons -3 days 04:05:06.000007', '{1,NULL,3}',
                      '{"a b",c}', '{{1,2},{3,NULL}}', '(1.5,-2)', '00101', '24:00:00')"""));
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
            assertThat(inserts(frames.get(7))).extracting(r -> SqlText.of(r.get("id"))).containsExactly("20", "21");
            assertThat(inserts(frames.get(8))).extracting(r -> SqlText.of(r.get("id"))).containsExactly("10", "11");

            // Every type, exactly.
            // The pgoutput engine describes the enum before the schema event (a DDL message); Debezium's does not.
            List<ChangeEvent> tx1 = frames.get(0).stream().filter(e -> !(e instanceof ChangeEvent.Message)).toList();
            assertThat(tx1.get(1)).isInstanceOf(ChangeEvent.SchemaChange.class);
            ChangeEvent.SchemaChange typesShape = (ChangeEvent.SchemaChange) tx1.get(1);
            assertThat(typesShape.columns()).extracting(Column::type).contains("numeric(38,18)", "character varying(20)",
                    "character(5)", "timestamp with time zone", "mood", "jsonb");
            Map<String, Value> row = ((ChangeEvent.Insert) tx1.get(2)).after();
            Map<String, String> types = new java.util.HashMap<>();
            typesShape.columns().forEach(col -> types.put(col.name(), col.type()));
            String[][] inserted = {{"c_small", "-32768"}, {"c_big", "9223372036854775807"},
                {"c_num", "12345678901234567890.123456789012345678"}, {"c_num_free", "NaN"}, {"c_real", "Infinity"},
                {"c_double", "-0.1"}, {"c_bool", "true"}, {"c_text", "héllo 'q'"}, {"c_varchar", ""}, {"c_char", "ab"},
                {"c_bytea", "\\x00ff"}, {"c_date", "2026-02-28"}, {"c_time", "23:59:59.999999"},
                {"c_ts", "1999-12-31 23:59:59.123456"}, {"c_tstz", "2026-03-29 01:00:00.000001+00"},
                {"c_uuid", "123e4567-e89b-12d3-a456-426614174000"},
                {"c_json", "{\"a\": [1, 2]}"}, {"c_jsonb", "{\"b\": null}"}, {"c_inet", "192.168.0.1/24"},
                {"c_cidr", "10.0.0.0/8"}, {"c_macaddr", "08:00:2b:01:02:03"}, {"c_mood", "happy"}};
            for (String[] e : inserted) {
                assertMeans(row, types, e[0], e[1]);
            }
            if (engine() == CaptureConfig.Engine.PGOUTPUT) {
                ChangeEvent.SchemaChange moreShape = (ChangeEvent.SchemaChange) tx1.get(tx1.size() - 3);
                Map<String, String> moreTypes = new java.util.HashMap<>();
                moreShape.columns().forEach(col -> moreTypes.put(col.name(), col.type()));
                Map<String, Value> more = ((ChangeEvent.Insert) tx1.get(tx1.size() - 2)).after();
                String[][] values = {{"c_timetz", "08:30:00+05:30"}, {"c_interval", "1 year 2 mons -3 days 04:05:06.000007"},
                    {"c_int_arr", "{1,NULL,3}"}, {"c_text_arr", "{\"a b\",c}"}, {"c_int_arr2", "{{1,2},{3,NULL}}"},
                    {"c_point", "(1.5,-2)"}, {"c_bits", "00101"}, {"c_time24", "24:00:00"}};
                for (String[] e : values) {
                    assertMeans(more, moreTypes, e[0], e[1]);
                }
                assertThat(more.get("c_timetz")).as("the offset is kept").isEqualTo(new Value.Text("08:30:00+05:30"));
            }
            assertThat(row.get("c_json")).as("json keeps its exact text").isIn(new Value.Json("{\"a\": [1, 2]}"),
                    new Value.Text("{\"a\": [1, 2]}"));
            assertThat(((Value.Text) row.get("c_big_text")).value()).hasSize(300_000);

            // Updates carry no before image under DEFAULT; deletes only the key; FULL carries whole rows.
            ChangeEvent.Update upd = (ChangeEvent.Update) frames.get(1).get(1);
            assertThat(upd.before()).isEmpty();
            assertThat(SqlText.of(upd.after().get("balance"))).isEqualTo("90.00");
            assertThat(((ChangeEvent.Delete) frames.get(1).get(2)).before()).containsOnlyKeys("id");
            List<ChangeEvent> full = frames.get(2);
            assertThat(((ChangeEvent.SchemaChange) full.get(1)).replicaIdentity()).isEqualTo(ChangeEvent.ReplicaIdentity.FULL);
            assertThat(((ChangeEvent.Update) full.get(3)).before()).containsEntry("b", new Value.Text("x"));
            assertThat(((ChangeEvent.Delete) full.get(4)).before()).containsEntry("b", new Value.Text("y")).containsKey("a");

            // Infinities and NULL.
            Map<String, Value> inf = ((ChangeEvent.Insert) frames.get(3).get(1)).after();
            assertMeans(inf, types, "c_date", "infinity");
            assertMeans(inf, types, "c_ts", "-infinity");
            assertMeans(inf, types, "c_tstz", "infinity");
            assertMeans(inf, types, "c_num_free", "-Infinity");
            assertMeans(inf, types, "c_double", "NaN");
            assertThat(inf.get("c_text")).isEqualTo(Value.Null.INSTANCE);

            // An unchanged TOASTed value is a marker, not NULL.
            Map<String, Value> toast = ((ChangeEvent.Update) frames.get(4).get(1)).after();
            assertMeans(toast, types, "c_small", "7");
            assertThat(toast.get("c_big_text")).isEqualTo(Value.Unchanged.INSTANCE);

            assertThat(frames.get(5).get(1)).isInstanceOfSatisfying(ChangeEvent.Truncate.class,
                    t -> assertThat(t.tables()).containsExactly(new TableId("public", "t_full")));

            // DDL: the ALTER itself, at its place in its transaction (capture's event trigger), then the
            // new shape before the first row that uses it.
            List<ChangeEvent> ddl = frames.get(6);
            assertThat(ddl.get(1)).isInstanceOfSatisfying(ChangeEvent.Message.class, m -> {
                assertThat(m.prefix()).isEqualTo(io.sluice.format.DdlMessage.PREFIX);
                io.sluice.format.DdlMessage d = io.sluice.format.DdlMessage.parse(m.content());
                assertThat(d.table()).isEqualTo(new TableId("public", "t_acc"));
                assertThat(d.columns()).extracting(io.sluice.format.DdlMessage.DdlColumn::name)
                        .containsExactly("id", "owner", "balance", "note");
                assertThat(d.volatileRewrite()).isFalse();
            });
            assertThat(ddl.get(2)).isInstanceOfSatisfying(ChangeEvent.SchemaChange.class, s ->
                    assertThat(s.columns()).extracting(Column::name).containsExactly("id", "owner", "balance", "note"));
            assertThat(((ChangeEvent.Insert) ddl.get(3)).after()).containsEntry("note", new Value.Text("new"));
        }
    }

    /**
     * Any role of the primary may write a logical message (pg_logical_emit_message is PUBLIC): one under a
     * prefix followers act on that Sluice did not write — a table's definition, rows, sequences, an epoch,
     * capture's definitions, a signature of its own making — is not passed on; the DDL triggers' own message is, without its
     * signature, and any other prefix passes as it is.
     */
    @Test
    void aMessageSomeRoleWroteUnderSluicesPrefixesIsNotPassedOn() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_forged (id int PRIMARY KEY)");
            st.execute("DO $$ BEGIN CREATE ROLE forger LOGIN PASSWORD 'forger'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            st.execute("GRANT INSERT ON t_forged TO forger");
        }
        String forgedDdl = "{\"table\": [\"public\", \"t_forged\"], \"trigger\": true, \"columns\": [{\"name\": \"id\","
                + " \"type\": \"integer\", \"nullable\": false}, {\"name\": \"x\", \"type\": \"text\", \"nullable\": true,"
                + " \"missing\": \"forged\", \"has_default\": true}]}";
        try (CaptureService capture = new CaptureService(config(pg, "forged", List.of("public.t_forged")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "forged");
             Connection forger = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres",
                     "forger", "forger");
             Connection c = pg.connect()) {
            capture.start();
            run(forger, "INSERT INTO t_forged VALUES (1)",
                    "SELECT pg_logical_emit_message(true, 'sluice.ddl', '" + forgedDdl + "')",
                    "SELECT pg_logical_emit_message(true, 'sluice.ddl', repeat('0', 64) || E'\\n' || '" + forgedDdl + "')",
                    "SELECT pg_logical_emit_message(true, 'sluice.rows', '{\"table\": [\"public\", \"t_forged\"]}' || E'\\n2\\n')",
                    "SELECT pg_logical_emit_message(false, 'sluice.sequences', '[]')",
                    "SELECT pg_logical_emit_message(false, 'sluice.epoch', '{\"epoch\": 9}')",
                    "SELECT pg_logical_emit_message(true, 'sluice.definitions', '{\"full\": true, \"tables\": [{\"table\":"
                            + " [\"public\", \"forged_marker\"], \"columns\": []}]}')",
                    "SELECT pg_logical_emit_message(true, 'app.note', 'kept')");
            run(c, "ALTER TABLE t_forged ADD COLUMN v int DEFAULT 1", "INSERT INTO t_forged VALUES (2, 2)");
            List<ChangeEvent> events = reader.until(Duration.ofSeconds(60), "both transactions",
                    ev -> StreamReader.committedFrames(ev) >= 2);
            List<ChangeEvent.Message> all = events.stream().filter(e -> e instanceof ChangeEvent.Message)
                    .map(e -> (ChangeEvent.Message) e).toList();
            // Capture's own sequence reports stand between frames; the forged ones are not among them.
            assertThat(all).noneMatch(m -> m.prefix().equals("sluice.epoch")
                    || m.prefix().equals("sluice.sequences") && new String(m.content(), java.nio.charset.StandardCharsets.UTF_8).equals("[]")
                    || io.sluice.format.SaidDefinitions.is(m)
                            && new String(m.content(), java.nio.charset.StandardCharsets.UTF_8).contains("forged_marker"));
            // Capture's own definitions messages aside (the pgoutput engine writes them), the transactional ones are these.
            List<ChangeEvent.Message> messages = all.stream().filter(ChangeEvent.Message::transactional)
                    .filter(m -> !io.sluice.format.SaidDefinitions.is(m)).toList();
            assertThat(messages).extracting(ChangeEvent.Message::prefix)
                    .containsExactly("app.note", io.sluice.format.DdlMessage.PREFIX);
            assertThat(new String(messages.get(0).content(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("kept");
            io.sluice.format.DdlMessage ddl = io.sluice.format.DdlMessage.parse(messages.get(1).content());
            assertThat(ddl.columns()).extracting(io.sluice.format.DdlMessage.DdlColumn::name).containsExactly("id", "v");
            assertThat(StreamReader.inserts(events)).hasSize(2);
        }
    }

    /**
     * A table of capture's publication dropped on the primary comes as a sluice.drop message in the
     * DROP's frame, so followers drop theirs there; a table it did not publish, dropped with it, does not,
     * nor do the rows of that table when another publication takes it in.
     */
    @Test
    void aDroppedTableOfThePublicationComesAsADropMessageAndNoOtherTablesDoes() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_dropped (id int PRIMARY KEY)");
            st.execute("CREATE TABLE t_unpublished (id int PRIMARY KEY)");
        }
        try (CaptureService capture = new CaptureService(config(pg, "dropped", List.of("public.t_dropped")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "dropped");
             Connection c = pg.connect()) {
            capture.start();
            run(c, "INSERT INTO t_dropped VALUES (1)");
            // On the stream before the DROP: Debezium reads a table's columns from the catalog as it meets its rows.
            reader.until(Duration.ofSeconds(60), "the insert", ev -> StreamReader.committedFrames(ev) >= 1);
            // Rows of a table another publication takes in are not this stream's (the Debezium engine stopped on them).
            run(c, "INSERT INTO t_unpublished VALUES (1)");
            run(c, "CREATE PUBLICATION pub_other", "ALTER PUBLICATION pub_other ADD TABLE t_unpublished");
            run(c, "DROP TABLE t_dropped, t_unpublished");
            List<ChangeEvent> events = reader.until(Duration.ofSeconds(60), "the DROP's message (" + capture.failure() + ")",
                    ev -> ev.stream().anyMatch(e -> e instanceof ChangeEvent.Message m && io.sluice.format.TableDrop.is(m)));
            assertThat(events).noneMatch(e -> e instanceof io.sluice.format.CopyEvent);
            List<io.sluice.format.TableDrop> drops = events.stream()
                    .filter(e -> e instanceof ChangeEvent.Message m && io.sluice.format.TableDrop.is(m))
                    .map(e -> io.sluice.format.TableDrop.parse(((ChangeEvent.Message) e).content())).toList();
            assertThat(drops).extracting(io.sluice.format.TableDrop::table).containsExactly(new TableId("public", "t_dropped"));
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
        CaptureConfig cfg = config(pg, "lost", List.of("public.t_lost"));
        try (CaptureService capture = new CaptureService(cfg);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "lost");
             Connection c = pg.connect(); Statement st = c.createStatement()) {
            capture.start();
            st.execute("INSERT INTO t_lost VALUES (1)");
            reader.until(Duration.ofSeconds(30), "the insert on the stream", ev -> StreamReader.committedFrames(ev) >= 1);
        }
        pg.execute("SELECT pg_drop_replication_slot('" + cfg.slotName() + "')", "INSERT INTO t_lost VALUES (2)");
        // A new machine: no local state at all. The stream still says where capture was.
        CaptureConfig elsewhere = config(pg, "lost", List.of("public.t_lost"));
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
        try (CaptureService capture = new CaptureService(config(pg, "quiet", List.of("public.t_quiet")));
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
        try (CaptureService capture = new CaptureService(config(pg, "snap", List.of("public.t_pre"), true));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "snap");
             Connection c = pg.connect()) {
            capture.start();
            reader.until(Duration.ofSeconds(60), "the snapshot frame", ev -> StreamReader.committedFrames(ev) >= 1);
            Committed after = run(c, "INSERT INTO t_pre VALUES (501, 'after')");
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(60),
                    "snapshot and one transaction", ev -> StreamReader.committedFrames(ev) >= 2));
            assertThat(StreamReader.inserts(frames.get(0))).hasSize(500);
            assertThat(frames.get(1).get(0).header().xid()).isEqualTo(after.xid());
            assertThat(frames.get(1).get(0).header().commitLsn()).isGreaterThan(frames.get(0).get(0).header().commitLsn());
        }
    }

    /**
     * A row filter of the publication (PostgreSQL 15) narrows the snapshot as it narrows the stream: the
     * snapshot holds the rows it passes, and an update that moves a row out of it arrives as a delete,
     * one that moves a row into it as an insert (before, capture refused such a publication at start).
     */
    @Test
    void aRowFilterOfThePublicationNarrowsTheSnapshotAsItNarrowsTheStream() throws Exception {
        pg.execute("CREATE TABLE t_rf (id int PRIMARY KEY, region text)", "ALTER TABLE t_rf REPLICA IDENTITY FULL",
                "INSERT INTO t_rf SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 30) g",
                "CREATE PUBLICATION pub_rowfilter FOR TABLE t_rf WHERE (region = 'eu')");
        try (CaptureService capture = new CaptureService(config(pg, "rowfilter", List.of("public.t_rf"), true));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "rowfilter")) {
            capture.start();
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(60), "the snapshot frame",
                    ev -> StreamReader.committedFrames(ev) >= 1));
            assertThat(StreamReader.inserts(frames.get(0))).extracting(i -> SqlText.of(i.after().get("id")))
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, 10).mapToObj(n -> String.valueOf(3 * n)).toList());
            pg.execute("INSERT INTO t_rf VALUES (31, 'us'), (33, 'eu')", "UPDATE t_rf SET region = 'us' WHERE id = 3",
                    "UPDATE t_rf SET region = 'eu' WHERE id = 1");
            frames = StreamReader.frames(reader.until(Duration.ofSeconds(60), "the three transactions",
                    ev -> StreamReader.committedFrames(ev) >= 4));
            List<String> changes = new java.util.ArrayList<>();
            for (List<ChangeEvent> f : frames.subList(1, frames.size())) {
                for (ChangeEvent e : f) {
                    if (e instanceof ChangeEvent.Insert i) {
                        changes.add("insert " + SqlText.of(i.after().get("id")));
                    } else if (e instanceof ChangeEvent.Update u) {
                        changes.add("update " + SqlText.of(u.after().get("id")));
                    } else if (e instanceof ChangeEvent.Delete d) {
                        changes.add("delete " + SqlText.of(d.before().get("id")));
                    }
                }
            }
            assertThat(changes).containsExactly("insert 33", "delete 3", "insert 1");
        }
    }

    /** A parent's snapshot is its own rows: a table that inherits from it is captured as itself, not twice. */
    @Test
    void aSnapshotOfAParentHasOnlyItsOwnRowsAndItsChildComesAsItself() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_parent (id int PRIMARY KEY, v text)");
            st.execute("CREATE TABLE t_child (extra int, PRIMARY KEY (id)) INHERITS (t_parent)");
            st.execute("INSERT INTO t_parent SELECT g, 'p' || g FROM generate_series(1, 10) g");
            st.execute("INSERT INTO t_child SELECT g, 'c' || g, g FROM generate_series(11, 15) g");
        }
        try (CaptureService capture = new CaptureService(config(pg, "inherit", List.of("public.t_parent", "public.t_child"), true));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "inherit")) {
            capture.start();
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(60), "the snapshot frame",
                    ev -> StreamReader.committedFrames(ev) >= 1));
            Map<String, Long> rows = StreamReader.inserts(frames.get(0)).stream()
                    .collect(java.util.stream.Collectors.groupingBy(i -> i.table().table(), java.util.stream.Collectors.counting()));
            assertThat(rows).isEqualTo(Map.of("t_parent", 10L, "t_child", 5L));
        }
    }

    @Test
    void aBacklogFarBehindTheWalEndArrivesWholeAndInCommitOrder() throws Exception {
        backlogArrivesWholeAndInCommitOrder("backlog", cfg -> cfg);
    }

    /** Several MB of WAL written while capture is down, then read by a capture configured by {@code how}. */
    void backlogArrivesWholeAndInCommitOrder(String source, java.util.function.UnaryOperator<CaptureConfig> how) throws Exception {
        String table = "t_" + source;
        CaptureConfig cfg = how.apply(config(pg, source, List.of("public." + table)));
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v text)");
            st.execute("ALTER TABLE " + table + " ALTER COLUMN v SET STORAGE EXTERNAL"); // uncompressed: every byte in the WAL
        }
        try (CaptureService capture = new CaptureService(cfg)) {
            capture.start();
        }
        // Several MB of WAL while capture is down: it starts far behind the WAL's end (the pgoutput
        // engine then reads it through SQL, or through the walsender in runs, and lets records
        // gather into large produce requests) and catches up.
        int transactions = 300;
        List<Long> xids = new ArrayList<>();
        try (Connection c = pg.connect()) {
            for (int i = 0; i < transactions; i++) {
                xids.add(run(c, "INSERT INTO " + table + " SELECT " + (i * 3) + " + g, repeat(md5(g::text), 200) FROM generate_series(0, 2) g").xid());
            }
        }
        try (CaptureService capture = new CaptureService(cfg);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), source)) {
            capture.start();
            List<List<ChangeEvent>> backlog = StreamReader.frames(reader.until(Duration.ofSeconds(120), "the backlog's transactions",
                    ev -> StreamReader.insertedRows(ev) >= 3L * transactions && StreamReader.committedFrames(ev) >= transactions)).stream()
                    .filter(f -> f.stream().anyMatch(e -> e instanceof ChangeEvent.Insert)).toList();
            assertThat(backlog).extracting(f -> f.get(0).header().xid()).as("every transaction once, in commit order").isEqualTo(xids);
            for (int i = 0; i < transactions; i++) {
                List<ChangeEvent.Insert> rows = StreamReader.inserts(backlog.get(i));
                assertThat(rows).extracting(r -> SqlText.of(r.after().get("id")))
                        .containsExactly(String.valueOf(i * 3), String.valueOf(i * 3 + 1), String.valueOf(i * 3 + 2));
                assertThat(backlog.get(i).get(backlog.get(i).size() - 1)).isInstanceOf(ChangeEvent.Commit.class);
            }
        }
    }

    /**
     * Values of megabytes — a row PostgreSQL holds without complaint — cross a stream topic made with
     * Kafka's default record limit ({@code max.message.bytes} 1,048,588): a payload longer than a
     * record is written as fragments (FORMAT.md, "Fragments"), no record is longer than
     * {@link Fragments#MAX_RECORD_BYTES}, and a reader joins them into the events, every value as the
     * primary holds it — in the snapshot, inserted, and updated with the large values left unchanged.
     * Before, one such row stopped capture at every start (RecordTooLargeException).
     */
    @Test
    void valuesOfMegabytesCrossAStreamTopicOfKafkasDefaultRecordSizeInFragments() throws Exception {
        String big = "(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 60000) g) AS s(v)"; // 1,920,000 characters
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_huge (id int PRIMARY KEY, t text, b bytea, j jsonb, note text)");
            st.execute("INSERT INTO t_huge SELECT 1, v, decode(v, 'hex'), jsonb_build_object('k', v), 'before' FROM " + big);
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TopicNames.stream("huge"), 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "1048588")))).all().get(30, TimeUnit.SECONDS);
        }
        try (CaptureService capture = new CaptureService(config(pg, "huge", List.of("public.t_huge"), true));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "huge");
             Connection c = pg.connect()) {
            capture.start();
            run(c, "INSERT INTO t_huge SELECT 2, v || v, decode(v || v, 'hex'), NULL, 'two' FROM " + big);
            run(c, "UPDATE t_huge SET note = 'after' WHERE id = 1");
            List<List<ChangeEvent>> frames = StreamReader.frames(reader.until(Duration.ofSeconds(120),
                    "the snapshot and two transactions", ev -> StreamReader.committedFrames(ev) >= 3));

            Map<String, String> types = Map.of("id", "int", "t", "text", "b", "bytea", "j", "jsonb", "note", "text");
            Map<String, Value> one = StreamReader.inserts(frames.get(0)).get(0).after();
            Map<String, Value> two = StreamReader.inserts(frames.get(1)).get(0).after();
            for (String column : List.of("t", "b", "j")) {
                assertMeans(one, types, column, primaryText("SELECT " + column + "::text FROM t_huge WHERE id = 1"));
                assertMeans(two, types, column, primaryText("SELECT " + column + "::text FROM t_huge WHERE id = 2"));
            }
            assertMeans(one, types, "note", "before");
            assertMeans(two, types, "note", "two");
            ChangeEvent.Update update = (ChangeEvent.Update) frames.get(2).stream()
                    .filter(e -> e instanceof ChangeEvent.Update).findFirst().orElseThrow();
            assertMeans(update.after(), types, "note", "after");
            for (String column : List.of("t", "b", "j")) {
                assertThat(update.after().get(column)).as("%s, left unchanged by the update", column).isEqualTo(Value.Unchanged.INSTANCE);
            }
            assertThat(reader.largestRecord).as("the longest record on the stream").isLessThanOrEqualTo(Fragments.MAX_RECORD_BYTES);
            assertThat(reader.fragments).as("records that are fragments of a longer payload").isGreaterThanOrEqualTo(6);
        }
    }

    private static String primaryText(String sql) throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void largeTransactionStreamsThroughWhole() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_large (id int PRIMARY KEY, v text)");
        }
        int rows = 60_000; // past the 10,000 events capture keeps in memory, so it spills
        try (CaptureService capture = new CaptureService(config(pg, "large", List.of("public.t_large")));
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
            assertThat(SqlText.of(((ChangeEvent.Insert) f.get(f.size() - 2)).after().get("id"))).isEqualTo(String.valueOf(rows));
        }
    }

    @Test
    void asTheSynchronousStandbyCaptureHoldsEachCommitUntilItsTransactionIsOnKafka() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_durable (id int PRIMARY KEY)");
        }
        CaptureConfig base = config(pg, "durable", List.of("public.t_durable"));
        CaptureConfig cfg = new CaptureConfig(base.sourceId(), base.jdbcUrl(), base.connection(), base.kafka(), base.slotName(),
                base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(), base.snapshot(),
                base.stateDirectory(), java.util.Map.of("offset.flush.interval.ms", "0"), base.engine());
        try (CaptureService capture = new CaptureService(cfg); Connection c = pg.connect(); Statement st = c.createStatement()) {
            capture.start();
            String walsender = CaptureService.walSenderName(cfg);
            pg.execute("ALTER SYSTEM SET synchronous_standby_names = '\"" + walsender + "\"'", "SELECT pg_reload_conf()");
            io.sluice.embedded.Await.until(Duration.ofSeconds(30), () -> "capture's walsender to be the synchronous standby",
                    () -> "sync".equals(pg.queryScalar("SELECT sync_state FROM pg_stat_replication WHERE application_name"
                            + " = '" + walsender + "'")));
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
        CaptureConfig good = config(pg, "nowhere", List.of());
        CaptureConfig cfg = new CaptureConfig(good.sourceId(), "jdbc:postgresql://127.0.0.1:" + closed + "/postgres",
                good.connection(), good.kafka(), good.slotName(), good.publicationName(), good.tables(), good.heartbeatInterval(),
                good.pollInterval(), good.snapshot(), good.stateDirectory(), good.debezium(), good.engine());
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
            CaptureConfig base = config(pg, "badpw", List.of());
            Properties conn = new Properties();
            conn.setProperty("user", "pw_user");
            conn.setProperty("password", "wrong");
            CaptureConfig bad = new CaptureConfig(base.sourceId(), base.jdbcUrl(), conn, base.kafka(), base.slotName(),
                    base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(), true,
                    base.stateDirectory(), Map.of(), base.engine());
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
        CaptureConfig base = config(pg, "noperm", List.of());
        Properties conn = new Properties();
        conn.setProperty("user", "repl_only");
        CaptureConfig noPerm = new CaptureConfig(base.sourceId(), base.jdbcUrl(), conn, base.kafka(), base.slotName(),
                base.publicationName(), List.of(), base.heartbeatInterval(), base.pollInterval(), true,
                base.stateDirectory(), Map.of(), base.engine());
        assertThatThrownBy(() -> new CaptureService(noPerm).start())
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("capture.publication.name")
                .hasMessageContaining("CREATE PUBLICATION \"pub_noperm\" FOR ALL TABLES")
                .hasMessageContaining("superuser");
    }

    @Test
    void aTableTheExistingPublicationLacksIsRefusedNamingItAndTheWayToAddIt() throws Exception {
        pg.execute("CREATE TABLE t_pub_a (id int PRIMARY KEY)", "CREATE TABLE t_pub_b (id int PRIMARY KEY)",
                "CREATE TABLE t_pub_parted (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                "CREATE TABLE t_pub_parted_1 PARTITION OF t_pub_parted FOR VALUES FROM (0) TO (100)");
        try (CaptureService capture = new CaptureService(config(pg, "pub", List.of("public.t_pub_a", "public.t_pub_parted")))) {
            capture.start();
        }
        // The configuration grows a table later: the publication capture created does not have it.
        CaptureConfig grown = config(pg, "pub", List.of("public.t_pub_a", "public.t_pub_b", "public.t_pub_parted"));
        try (CaptureService again = new CaptureService(grown)) {
            assertThatThrownBy(again::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("publication " + grown.publicationName() + " exists but does not publish public.t_pub_b,")
                    .hasMessageNotContaining("t_pub_a,")
                    .hasMessageContaining("ALTER PUBLICATION \"" + grown.publicationName() + "\" ADD TABLE public.t_pub_b");
        }
        CaptureConfig unknown = config(pg, "pub", List.of("public.t_pub_a", "public.t_pub_nowhere"));
        try (CaptureService again = new CaptureService(unknown)) {
            assertThatThrownBy(again::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("capture.tables names public.t_pub_nowhere, which the primary does not have");
        }
        // A column list narrows the stream but not Debezium's snapshot: that engine refuses it, naming the table
        // (the pgoutput engine honours it, ApplierIT; a row filter both engines honour).
        pg.execute("CREATE TABLE t_pub_f (id int PRIMARY KEY, s text)",
                "CREATE PUBLICATION pub_filtered FOR TABLE t_pub_f WHERE (id > 0), t_pub_a (id)");
        if (engine() == CaptureConfig.Engine.DEBEZIUM) {
            try (CaptureService filtered = new CaptureService(config(pg, "filtered", List.of("public.t_pub_f", "public.t_pub_a")))) {
                assertThatThrownBy(filtered::start).isInstanceOf(CaptureException.class)
                        .hasMessageContaining("publication pub_filtered publishes t_pub_a with a column list")
                        .hasMessageContaining("capture.engine=pgoutput");
            }
        }
        pg.execute("ALTER PUBLICATION \"" + grown.publicationName() + "\" ADD TABLE t_pub_b");
        try (CaptureService capture = new CaptureService(grown);
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "pub")) {
            capture.start();
            pg.execute("INSERT INTO t_pub_b VALUES (7)");
            assertThat(StreamReader.inserts(reader.until(Duration.ofSeconds(60), "t_pub_b's insert",
                    ev -> StreamReader.inserts(ev).stream().anyMatch(i -> i.table().table().equals("t_pub_b")))))
                    .anyMatch(i -> i.table().table().equals("t_pub_b"));
        }
    }

    @Test
    void aDatabaseNotInUtf8IsRefusedNamingItsEncoding() throws Exception {
        pg.execute("CREATE DATABASE latin1_db TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
        CaptureConfig base = config(pg, "latin1", List.of());
        CaptureConfig cfg = new CaptureConfig(base.sourceId(), pg.jdbcUrl("latin1_db"), base.connection(), base.kafka(),
                base.slotName(), base.publicationName(), base.tables(), base.heartbeatInterval(), base.pollInterval(),
                base.snapshot(), base.stateDirectory(), base.debezium(), base.engine());
        try (CaptureService capture = new CaptureService(cfg)) {
            assertThatThrownBy(capture::start).isInstanceOf(CaptureException.class)
                    .hasMessageContaining("database latin1_db has encoding LATIN1")
                    .hasMessageContaining("UTF8 only")
                    .satisfies(e -> assertThat(((CaptureException) e).kind()).isEqualTo(CaptureException.Kind.CONFIGURATION));
            assertThat(capture.state()).isEqualTo(CaptureService.State.FAILED);
        }
    }

    @Test
    void walLevelNotLogicalFailsNamingTheSetting() throws Exception {
        try (LocalPostgres replica = LocalPostgres.builder("wal-replica").dataDirectory(dir.resolve("wal-replica"))
                .setting("wal_level", "replica").start()) {
            CaptureConfig cfg = config(replica, "walrep", List.of());
            assertThatThrownBy(() -> new CaptureService(cfg).start())
                    .isInstanceOf(CaptureException.class)
                    .hasMessageContaining("wal_level=replica")
                    .hasMessageContaining("wal_level=logical")
                    .hasMessageContaining("restart the primary");
        }
    }
}
