package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import io.sluice.format.DdlMessage;
import io.sluice.format.TypeDefinition;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The DDL triggers' installation on a real primary: done once per script, again when anything of it is missing. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DdlTriggerIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("ddl-trigger", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    /** Each event trigger's oid: a trigger dropped and created again has a new one. */
    private static String triggers(String database) throws Exception {
        try (Connection c = pg.connect(database); var st = c.createStatement();
             var rs = st.executeQuery("SELECT string_agg(evtname || '=' || oid || '/' || evtenabled::text, ',' ORDER BY evtname)"
                     + " FROM pg_event_trigger WHERE evtname LIKE 'sluice%'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** A message of the triggers, its signature checked with the primary's key and taken off. */
    private record Signed(String prefix, byte[] body) { }

    /**
     * The messages under Sluice's prefixes that test_decoding slot {@code slot} holds, in order and consumed,
     * each signature checked with the primary's key and taken off.
     */
    private static List<Signed> signed(Connection c, String slot) throws Exception {
        MessageSignature key;
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT key FROM sluice.read_message_key()")) {
            rs.next();
            key = new MessageSignature(rs.getBytes(1));
        }
        List<Signed> out = new java.util.ArrayList<>();
        try (var ps = c.prepareStatement("SELECT substring(data FROM 'prefix: ([^,]*),'), substring(data FROM 'content:(.*)$')"
                + " FROM pg_logical_slot_get_changes(?, NULL, NULL) WHERE data LIKE 'message:%prefix: sluice.%'")) {
            ps.setString(1, slot);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    byte[] body = key.verified(rs.getString(1), rs.getString(2).getBytes(StandardCharsets.UTF_8));
                    assertThat(body).as("the message is signed with the triggers' key: %s", rs.getString(2)).isNotNull();
                    out.add(new Signed(rs.getString(1), body));
                }
            }
        }
        return out;
    }

    /** The contents of the triggers' messages under {@code prefix} in slot {@code slot}, as {@link #signed} reads them. */
    private static List<byte[]> triggerMessages(Connection c, String slot, String prefix) throws Exception {
        return signed(c, slot).stream().filter(m -> m.prefix().equals(prefix)).map(Signed::body).toList();
    }

    private static boolean install(String database) throws Exception {
        try (Connection c = pg.connect(database)) {
            return DdlTrigger.install(c);
        }
    }

    /**
     * The types a table uses, as its DDL message carries them: a type an extension made is named by
     * its extension (not looked into), also through an array or a domain of the table's own, and
     * comes before what uses it.
     */
    @Test
    void anExtensionsTypesAreDescribedByTheExtensionBeforeWhatUsesThem() throws Exception {
        pg.createDatabase("extensions");
        try (Connection c = pg.connect("extensions"); var st = c.createStatement()) {
            st.execute("CREATE EXTENSION citext");
            st.execute("CREATE SCHEMA ext");
            st.execute("CREATE EXTENSION hstore WITH SCHEMA ext");
            st.execute("CREATE EXTENSION lo");
            st.execute("CREATE DOMAIN short_name AS citext CHECK (length(VALUE) < 40)");
            st.execute("CREATE TABLE uses (id int PRIMARY KEY, c citext, hs ext.hstore[], l lo, n short_name, t text)");
            List<TypeDefinition> types;
            try (var ps = c.prepareStatement(DdlTrigger.TABLE_TYPES)) {
                ps.setInt(1, Integer.parseInt(scalar(c, "SELECT 'uses'::regclass::oid")));
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    types = DdlMessage.parseTypes(rs.getString(1).getBytes(StandardCharsets.UTF_8));
                }
            }
            assertThat(types).containsExactly(
                    TypeDefinition.ofExtension("ext", "hstore", "hstore"),
                    TypeDefinition.ofExtension("public", "citext", "citext"),
                    TypeDefinition.ofExtension("public", "lo", "lo"),
                    new TypeDefinition("public", "short_name", "domain", "citext", false,
                            List.of("CHECK ((length((VALUE)::text) < 40))"), List.of()));
        }
    }

    /**
     * A type renamed or moved: the trigger's message for a table using it names the type's old
     * name — one made before the triggers were installed, one made after — also when a crash emptied
     * their unlogged name map: the next command fills it before it runs (before: it named none).
     */
    @Test
    void aRenamedTypesMessageNamesWhatItWasCalled() throws Exception {
        pg.createDatabase("renames");
        try (Connection c = pg.connect("renames"); var st = c.createStatement()) {
            st.execute("CREATE TYPE older AS ENUM ('a')");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE DOMAIN newer AS int");
            st.execute("CREATE TABLE uses (id int PRIMARY KEY, o older, n newer)");
            st.execute("SELECT pg_create_logical_replication_slot('renames', 'test_decoding')");
            st.execute("ALTER TYPE older RENAME TO oldest");
            st.execute("CREATE SCHEMA moved");
            st.execute("ALTER DOMAIN newer SET SCHEMA moved");
            st.execute("TRUNCATE sluice.type_name");
            st.execute("ALTER TYPE oldest RENAME TO forgotten");
            st.execute("ALTER DOMAIN moved.newer RENAME TO newest");
            List<List<String>> renames = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "renames", DdlMessage.PREFIX)) {
                DdlMessage m = DdlMessage.parse(message);
                renames.add(m.types().stream().map(t -> t.schema() + "." + t.name() + " from " + t.renamedFrom()).toList());
            }
            assertThat(renames).containsExactly(
                    List.of("public.newer from []", "public.oldest from [public, older]"),
                    List.of("moved.newer from [public, newer]", "public.oldest from []"),
                    List.of("moved.newer from []", "public.forgotten from [public, oldest]"),
                    List.of("moved.newest from [moved, newer]", "public.forgotten from []"));
        }
    }

    /**
     * A renamed schema: each of its tables gets a message naming what it was called, and each table
     * using one of its types (in any schema) the type's old name; a schema changed otherwise (its
     * owner) none.
     */
    @Test
    void aRenamedSchemasTablesAndTheTablesUsingItsTypesNameWhatTheyWereCalled() throws Exception {
        pg.createDatabase("schema_renames");
        try (Connection c = pg.connect("schema_renames"); var st = c.createStatement()) {
            st.execute("CREATE SCHEMA s");
            st.execute("CREATE DOMAIN s.d AS int");
            st.execute("CREATE TABLE s.a (id int PRIMARY KEY)");
            st.execute("CREATE TABLE uses (id int PRIMARY KEY, v s.d)");
            st.execute("CREATE TABLE unrelated (id int PRIMARY KEY)");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("SELECT pg_create_logical_replication_slot('schema_renames', 'test_decoding')");
            st.execute("ALTER SCHEMA s RENAME TO s2");
            st.execute("ALTER SCHEMA s2 OWNER TO CURRENT_USER");
            List<String> messages = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "schema_renames", DdlMessage.PREFIX)) {
                DdlMessage m = DdlMessage.parse(message);
                messages.add(m.table() + " from " + m.renamedFrom() + " types "
                        + m.types().stream().map(t -> t.schema() + "." + t.name() + " from " + t.renamedFrom()).toList());
            }
            assertThat(messages).containsExactlyInAnyOrder("s2.a from s.a types []", "public.uses from null types [s2.d from [s, d]]");
        }
    }

    /**
     * A rewrite clears the primary's missing values: a column the ALTER added then has the value
     * its rows were given in the message (its default's, now() the transaction's), a volatile
     * default or an identity none, and a column the table already had none, whatever its default;
     * a rewrite for values computed per row is reported only where there were rows.
     */
    @Test
    void aColumnAddedWithARewriteCarriesItsDefaultsValue() throws Exception {
        pg.createDatabase("rewrites");
        try (Connection c = pg.connect("rewrites"); var st = c.createStatement()) {
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE DOMAIN pos AS int CHECK (VALUE > 0)");
            st.execute("CREATE TABLE r (id int PRIMARY KEY, old int DEFAULT 1, x int)");
            st.execute("INSERT INTO r VALUES (1, 1, 1)");
            st.execute("SELECT pg_create_logical_replication_slot('rewrites', 'test_decoding')");
            c.setAutoCommit(false);
            st.execute("ALTER TABLE r ADD COLUMN g numeric(4,1) DEFAULT 2.25 + 1, ADD COLUMN t timestamptz DEFAULT now(),"
                    + " ADD COLUMN s int, ALTER COLUMN s SET DEFAULT 7, ALTER COLUMN x TYPE bigint");
            String now = scalar(c, "SELECT now()::text");
            c.commit();
            assertThat(scalar(c, "SELECT atthasmissing FROM pg_attribute WHERE attrelid = 'r'::regclass AND attname = 'g'"))
                    .as("the rewrite cleared the missing value the ALTER stored").isEqualTo("f");
            c.setAutoCommit(true);
            st.execute("ALTER TABLE r ADD COLUMN p pos DEFAULT 4");
            st.execute("ALTER TABLE r ADD COLUMN v float8 DEFAULT random(), ALTER COLUMN x TYPE int");
            st.execute("ALTER TABLE r ADD COLUMN i int GENERATED ALWAYS AS IDENTITY");
            st.execute("CREATE TABLE empty_r (id int PRIMARY KEY)");
            st.execute("ALTER TABLE empty_r ADD COLUMN v float8 DEFAULT random()");
            List<String> missing = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "rewrites", DdlMessage.PREFIX)) {
                DdlMessage m = DdlMessage.parse(message);
                missing.add(m.columns().stream().map(col -> col.name() + "=" + col.missing()).toList()
                        + (m.volatileRewrite() ? " computed per row" : ""));
            }
            assertThat(missing).as("s was added without a default and given one after: its rows hold NULL").containsExactly(
                    "[id=null, old=null, x=null, g=3.3, t=" + now + ", s=null]",
                    "[id=null, old=null, x=null, g=null, t=null, s=null, p=4] computed per row",
                    "[id=null, old=null, x=null, g=null, t=null, s=null, p=null, v=null] computed per row",
                    "[id=null, old=null, x=null, g=null, t=null, s=null, p=null, v=null, i=null] computed per row",
                    "[id=null, v=null]");
        }
    }

    /**
     * A DDL command costs the primary work for the tables it changes, not for every table it has: the
     * per-table check of a command runs once per table it changed, whatever plan the server picks.
     * Before, the check sat in a join with {@code pg_class} which the server could plan as a hash join
     * calling it on every row of the catalog — seen taking an ALTER TABLE from milliseconds to half a
     * second in a database of 1,600 relations, its lock held all along.
     */
    @Test
    void aCommandsPerTableCheckRunsOncePerTableItChangedNotPerRowOfTheCatalog() throws Exception {
        pg.createDatabase("catalog_size");
        try (Connection c = pg.connect("catalog_size"); var st = c.createStatement()) {
            st.execute("DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE other_%s (id int PRIMARY KEY)', i); END LOOP; END $$");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE TABLE altered (id int PRIMARY KEY, v int)");
            st.execute("SET track_functions = 'all'");
            st.execute("SET enable_nestloop = off"); // the plan that did it: a hash join of the command's tables with pg_class
            st.execute("SET enable_mergejoin = off");
            c.setAutoCommit(false);
            st.execute("ALTER TABLE altered ADD COLUMN w int DEFAULT 3");
            String calls = scalar(c, "SELECT calls FROM pg_stat_xact_user_functions WHERE schemaname = 'sluice' AND funcname = 'rows_unknowable'");
            c.rollback();
            assertThat(calls).as("calls of sluice.rows_unknowable for one ALTER TABLE").isEqualTo("1");
        }
    }

    /**
     * A renamed column's message names what it was called — in the table renamed and in each table
     * that inherits from it (its partitions, a parent's children), whose same column may have
     * another number — also when a crash emptied the triggers' map: the next command fills it before
     * it runs (before: it named none).
     */
    @Test
    void aRenamedColumnsMessageNamesWhatItWasCalledInEveryTableItWasRenamedIn() throws Exception {
        pg.createDatabase("column_renames");
        try (Connection c = pg.connect("column_renames"); var st = c.createStatement()) {
            st.execute("CREATE TABLE p (id int PRIMARY KEY, a int, b text) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE p_1 (b text, a int, id int NOT NULL)");
            st.execute("ALTER TABLE p ATTACH PARTITION p_1 FOR VALUES FROM (0) TO (10)");
            st.execute("CREATE TABLE parent (id int PRIMARY KEY, a int)");
            st.execute("CREATE TABLE child (x int, PRIMARY KEY (id)) INHERITS (parent)");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("SELECT pg_create_logical_replication_slot('column_renames', 'test_decoding')");
            st.execute("ALTER TABLE p RENAME COLUMN a TO a2");
            st.execute("ALTER TABLE parent RENAME COLUMN a TO a2");
            st.execute("ALTER TABLE p ADD COLUMN c int DEFAULT 3");
            st.execute("TRUNCATE sluice.table_name");
            st.execute("ALTER TABLE parent RENAME COLUMN a2 TO a3");
            List<String> renames = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "column_renames", DdlMessage.PREFIX)) {
                DdlMessage m = DdlMessage.parse(message);
                renames.add(m.table().table() + " " + m.columnRenames() + " " + m.renamedColumns());
            }
            assertThat(renames).as("a rename is reported once, by the ALTER that made it").containsExactlyInAnyOrder(
                    "p {a2=a} [a2]", "p_1 {a2=a} [a2]", "parent {a2=a} [a2]", "child {a2=a} [a2]",
                    "p {} []", "p_1 {} []",
                    "parent {a3=a2} [a3]", "child {a3=a2} [a3]");
        }
    }

    /**
     * A dropped partition's rows, as its partitioned table's message gives them — also after the
     * triggers' map was emptied (a crash of the primary, a promoted standby) and before capture started
     * again: the DROP fills the map before it runs (before, only capture's start did).
     */
    @Test
    void aDroppedPartitionsRowsAreReportedAlsoAfterTheMapWasEmptied() throws Exception {
        pg.createDatabase("partition_drops");
        try (Connection c = pg.connect("partition_drops"); var st = c.createStatement()) {
            st.execute("CREATE TABLE m (id int PRIMARY KEY) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM (0) TO (10)");
            st.execute("CREATE TABLE m_2 PARTITION OF m FOR VALUES FROM (10) TO (20)");
            st.execute("CREATE TABLE m_rest PARTITION OF m DEFAULT");
            // Bounds over text: of a collation that sorts by bytes, and of one that does not.
            st.execute("CREATE TABLE t (v text COLLATE \"C\", w text COLLATE \"en-x-icu\") PARTITION BY RANGE (v)");
            st.execute("CREATE TABLE t_a PARTITION OF t FOR VALUES FROM ('a') TO ('m') PARTITION BY RANGE (w)");
            st.execute("CREATE TABLE t_a_a PARTITION OF t_a FOR VALUES FROM ('a') TO ('m')");
            st.execute("CREATE TABLE t_b PARTITION OF t FOR VALUES FROM ('m') TO ('z')");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("SELECT pg_create_logical_replication_slot('partition_drops', 'test_decoding')");
            st.execute("DROP TABLE m_1");
            st.execute("TRUNCATE sluice.table_name");
            st.execute("DROP TABLE m_rest");
            st.execute("DROP TABLE t_a_a, t_b");
            List<String> gone = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "partition_drops", DdlMessage.PREFIX)) {
                DdlMessage m = DdlMessage.parse(message);
                gone.add(m.table().table() + " " + m.partitionsGone());
            }
            assertThat(gone).containsExactly(
                    "m [GonePartition[table=public.m_1, rows=((\"id\" IS NOT NULL) AND (\"id\" >= 0) AND (\"id\" < 10)), collated=false]]",
                    "m [GonePartition[table=public.m_rest, rows=(NOT ((\"id\" IS NOT NULL) AND ((\"id\" >= 10) AND (\"id\" < 20)))),"
                            + " collated=false]]",
                    "t [GonePartition[table=public.t_a_a, rows=((\"v\" IS NOT NULL) AND (\"v\" >= 'a'::\"text\" COLLATE \"C\")"
                            + " AND (\"v\" < 'm'::\"text\" COLLATE \"C\") AND (\"w\" IS NOT NULL) AND (\"w\" >= 'a'::\"text\" COLLATE \"en-x-icu\")"
                            + " AND (\"w\" < 'm'::\"text\" COLLATE \"en-x-icu\")), collated=true], GonePartition[table=public.t_b,"
                            + " rows=((\"v\" IS NOT NULL) AND (\"v\" >= 'm'::\"text\" COLLATE \"C\") AND (\"v\" < 'z'::\"text\" COLLATE \"C\")),"
                            + " collated=false]]");
        }
    }

    /**
     * A partition detached from a table that a publication publishes through its root is published
     * as itself from then on: its rows, which no row change carries, are written for that publication.
     */
    @Test
    void aPartitionDetachedUnderAPublicationThroughTheRootHasItsRowsWritten() throws Exception {
        pg.createDatabase("detach_rows");
        try (Connection c = pg.connect("detach_rows"); var st = c.createStatement()) {
            st.execute("CREATE TABLE q (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE q_1 PARTITION OF q FOR VALUES FROM (0) TO (10)");
            st.execute("CREATE TABLE q_2 PARTITION OF q FOR VALUES FROM (10) TO (20)");
            st.execute("INSERT INTO q VALUES (1, E'a\\tb'), (2, NULL), (11, 'c')");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE PUBLICATION everything FOR ALL TABLES WITH (publish_via_partition_root = true)");
            st.execute("SELECT pg_create_logical_replication_slot('detach_rows', 'test_decoding')");
            st.execute("ALTER TABLE q DETACH PARTITION q_1");
            st.execute("ALTER TABLE q DETACH PARTITION q_2");
            st.execute("DROP PUBLICATION everything");
            st.execute("CREATE PUBLICATION pub_some FOR TABLE q");
            st.execute("CREATE TABLE q_3 (LIKE q)");
            st.execute("INSERT INTO q_3 VALUES (21, 'd')");
            st.execute("ALTER TABLE q ATTACH PARTITION q_3 FOR VALUES FROM (20) TO (30)");
            st.execute("ALTER TABLE q DETACH PARTITION q_3");
            // A table without columns added to a publication: no values to write, and the DDL does not fail.
            st.execute("CREATE TABLE nocols ()");
            st.execute("INSERT INTO nocols DEFAULT VALUES");
            st.execute("ALTER PUBLICATION pub_some ADD TABLE nocols");
            List<String> rows = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "detach_rows", DdlTrigger.ROWS_PREFIX)) {
                rows.add(new String(message, StandardCharsets.UTF_8));
            }
            assertThat(rows).as("q_1's and q_2's rows for the publication; q_3's when attached, for the publication that"
                    + " publishes it as itself then; none when detached with none publishing it").hasSize(3);
            assertThat(rows.get(0)).contains("\"table\": [\"public\", \"q_1\"]", "\"publication\": \"everything\"")
                    .endsWith("\n1\ta\\tb\n2\t\\N\n");
            assertThat(rows.get(1)).contains("\"table\": [\"public\", \"q_2\"]").endsWith("\n11\tc\n");
            assertThat(rows.get(2)).contains("\"table\": [\"public\", \"q_3\"]", "\"root\": [\"public\", \"q\"]",
                    "\"publication\": null", "\"targets\": {\"pub_some\": [\"public\", \"q_3\"]}").endsWith("\n21\td\n");
        }
    }

    /**
     * An application's role that is no superuser runs its DDL with the triggers installed: every
     * command the triggers act on succeeds (before, each failed with "permission denied for schema
     * sluice", the triggers' functions out of its reach).
     */
    @Test
    void anOrdinaryRolesDdlRunsWithTheTriggersInstalled() throws Exception {
        pg.createDatabase("roles");
        try (Connection c = pg.connect("roles"); var st = c.createStatement()) {
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'app'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            st.execute("GRANT CREATE ON SCHEMA public TO app");
            st.execute("GRANT CREATE ON DATABASE roles TO app");
        }
        try (Connection a = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/roles", "app", "app");
             var st = a.createStatement()) {
            for (String ddl : List.of("CREATE TABLE t (id int PRIMARY KEY, v int)", "INSERT INTO t VALUES (1, 1)",
                    "ALTER TABLE t ADD COLUMN w int DEFAULT 3", "ALTER TABLE t RENAME COLUMN v TO v2",
                    "CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id)", "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)",
                    "INSERT INTO p VALUES (1)", "TRUNCATE p1", "CREATE TABLE p2 (LIKE p)", "INSERT INTO p2 VALUES (11)",
                    "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)", "ALTER TABLE p DETACH PARTITION p2", "DROP TABLE p1",
                    "CREATE TYPE mood AS ENUM ('a')", "ALTER TYPE mood ADD VALUE 'b'", "CREATE PUBLICATION apppub FOR TABLE t",
                    "CREATE TABLE t3 (id int PRIMARY KEY)", "INSERT INTO t3 VALUES (1)", "ALTER PUBLICATION apppub ADD TABLE t3",
                    "TRUNCATE p", "DROP TABLE t3")) {
                st.execute(ddl);
            }
        }
    }

    /**
     * The triggers' messages are signed, so a role must not get one signed with content of its choosing,
     * nor keep one from being written: no function of the script's is a role's to call but the key's
     * reader, which gives the key to a role with REPLICATION only; the statement marks and the name map
     * are no role's to write — also where default privileges handed every new function and table to it;
     * and a setting the triggers once used does not stop a partition's TRUNCATE from being told.
     */
    @Test
    void anOrdinaryRoleCanNeitherSignAMessageNorKeepOneFromBeingWritten() throws Exception {
        pg.createDatabase("forging");
        try (Connection c = pg.connect("forging"); var st = c.createStatement()) {
            st.execute("DO $$ BEGIN CREATE ROLE mallory LOGIN PASSWORD 'mallory'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            st.execute("DO $$ BEGIN CREATE ROLE reader LOGIN REPLICATION PASSWORD 'reader'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            // Default privileges that hand every new function and table to a role: the script takes them back.
            st.execute("ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO mallory");
            st.execute("ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE ON TABLES TO mallory");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)");
            st.execute("GRANT TRUNCATE ON p1 TO mallory");
            st.execute("SELECT pg_create_logical_replication_slot('forging', 'test_decoding')");
        }
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/forging";
        try (Connection m = java.sql.DriverManager.getConnection(url, "mallory", "mallory"); var st = m.createStatement()) {
            for (String call : List.of("SELECT sluice.emit('sluice.ddl', '{}')",
                    "SELECT sluice.emit_table('p'::regclass, false, '{}', '[]', '[]', false)",
                    "SELECT sluice.emit_rows('p1'::regclass, 'p'::regclass, NULL)",
                    "SELECT sluice.write_rows('p1'::regclass, '{}'::jsonb, 'p'::regclass, NULL, true)",
                    "SELECT sluice.set_mark('truncating_' || 'p'::regclass::oid, 1)",
                    "INSERT INTO sluice.marks VALUES (pg_current_xact_id(), 'truncating_' || 'p'::regclass::oid, 1)",
                    "UPDATE sluice.table_name SET partition_rows = 'true'",
                    "SELECT key FROM sluice.message_key",
                    "SELECT key FROM sluice.read_message_key()")) {
                assertThatThrownBy(() -> st.execute(call)).as(call).isInstanceOf(java.sql.SQLException.class)
                        .hasMessageContaining("permission denied").satisfies(e ->
                                assertThat(((java.sql.SQLException) e).getSQLState()).isEqualTo("42501"));
            }
            m.setAutoCommit(false);
            st.execute("SET LOCAL sluice.truncating_" + scalar(m, "SELECT 'p'::regclass::oid") + " = 'on'");
            st.execute("TRUNCATE p1");
            m.commit();
        }
        try (Connection r = java.sql.DriverManager.getConnection(url, "reader", "reader")) {
            assertThat(scalar(r, "SELECT length(key) FROM sluice.read_message_key()")).isEqualTo("32");
            assertThat(DdlTrigger.install(r)).as("a capture role that is no superuser finds the script a superuser installed").isTrue();
        }
        try (Connection c = pg.connect("forging")) {
            List<byte[]> told = triggerMessages(c, "forging", DdlMessage.PREFIX);
            assertThat(told).as("the TRUNCATE of p1 is told").isNotEmpty();
            DdlMessage truncated = DdlMessage.parse(told.get(0));
            assertThat(truncated.partitionsGone()).extracting(g -> g.table().table()).containsExactly("p1");
        }
    }

    /**
     * ALTER PUBLICATION … SET TABLE takes in the tables the publication lacked: their rows are written,
     * and only theirs (a table it kept already streams its changes) — a parent's without its child's
     * (before, its message held both, and a follower of both held the child's rows twice).
     */
    @Test
    void aTableThatSetTableTakesInHasItsRowsWritten() throws Exception {
        pg.createDatabase("set_table");
        try (Connection c = pg.connect("set_table"); var st = c.createStatement()) {
            st.execute("CREATE TABLE kept (id int PRIMARY KEY)");
            st.execute("CREATE TABLE taken (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO kept VALUES (1)");
            st.execute("INSERT INTO taken VALUES (1, 'x'), (2, NULL)");
            st.execute("CREATE TABLE parent (id int PRIMARY KEY)");
            st.execute("CREATE TABLE child (PRIMARY KEY (id)) INHERITS (parent)");
            st.execute("INSERT INTO parent VALUES (1)");
            st.execute("INSERT INTO child VALUES (2)");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE PUBLICATION pset FOR TABLE kept");
            st.execute("SELECT pg_create_logical_replication_slot('set_table', 'test_decoding')");
            st.execute("ALTER PUBLICATION pset SET TABLE kept, taken, parent");
            List<String> rows = new java.util.ArrayList<>();
            for (byte[] message : triggerMessages(c, "set_table", DdlTrigger.ROWS_PREFIX)) {
                AttachedRows.Rows r = AttachedRows.parse(message);
                rows.add(r.as() + ": " + new String(r.text(), StandardCharsets.UTF_8));
            }
            assertThat(rows).as("a parent's rows without its child's, which the child's message holds").containsExactlyInAnyOrder(
                    "public.taken: 1\tx\n2\t\\N\n", "public.parent: 1\n", "public.child: 2\n");
        }
    }

    /**
     * A publication that changes publish_via_partition_root publishes a partitioned table's rows as other
     * tables from then on: the tables it published them as are dropped for it, and the rows written as
     * the tables it publishes them as now — the leaves, then the partitioned table again — after the
     * drops. Before, nothing was written: a follower kept the old tables, stale, and got the new ones
     * without the rows they held. A publication left as it was gets nothing.
     */
    @Test
    void aPublicationThatChangesHowItPublishesPartitionsHasTheirRowsWrittenAsTheTablesItPublishesNow() throws Exception {
        pg.createDatabase("via_root");
        try (Connection c = pg.connect("via_root"); var st = c.createStatement()) {
            st.execute("CREATE TABLE v (id int PRIMARY KEY, t text) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE v_1 PARTITION OF v FOR VALUES FROM (0) TO (10)");
            st.execute("CREATE TABLE v_2 PARTITION OF v FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE v_2a PARTITION OF v_2 FOR VALUES FROM (10) TO (20)");
            st.execute("CREATE TABLE plain (id int PRIMARY KEY)");
            st.execute("INSERT INTO v VALUES (1, 'a'), (11, 'b')");
            st.execute("INSERT INTO plain VALUES (1)");
            assertThat(DdlTrigger.install(c)).isTrue();
            st.execute("CREATE PUBLICATION vr FOR TABLE v, plain WITH (publish_via_partition_root = true)");
            st.execute("CREATE PUBLICATION other FOR TABLE v");
            st.execute("SELECT pg_create_logical_replication_slot('via_root', 'test_decoding')");
            st.execute("ALTER PUBLICATION vr SET (publish_via_partition_root = false)");
            st.execute("ALTER PUBLICATION other SET (publish = 'insert, update, delete, truncate')");
            assertThat(signedMessages(c, "via_root")).containsExactly(
                    "sluice.drop {\"table\" : [\"public\", \"v\"], \"publications\" : [\"vr\"]}",
                    "sluice.rows as public.v_1 for vr: 1\ta\n",
                    "sluice.rows as public.v_2a for vr: 11\tb\n");
            st.execute("ALTER PUBLICATION vr SET (publish_via_partition_root = true)");
            assertThat(signedMessages(c, "via_root")).containsExactly(
                    "sluice.drop {\"table\" : [\"public\", \"v_1\"], \"publications\" : [\"vr\"]}",
                    "sluice.drop {\"table\" : [\"public\", \"v_2a\"], \"publications\" : [\"vr\"]}",
                    "sluice.rows as public.v for vr: 1\ta\n",
                    "sluice.rows as public.v for vr: 11\tb\n");
        }
    }

    /**
     * The triggers' drop and rows messages that test_decoding slot {@code slot} holds, in order and
     * consumed: a drop's content, a rows message as the table it is published as, its publication and its rows.
     */
    private static List<String> signedMessages(Connection c, String slot) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        for (Signed m : signed(c, slot)) {
            if (m.prefix().equals(DdlTrigger.ROWS_PREFIX)) {
                AttachedRows.Rows rows = AttachedRows.parse(m.body());
                out.add(m.prefix() + " as " + rows.as() + " for " + rows.publication() + ": "
                        + new String(rows.text(), StandardCharsets.UTF_8));
            } else if (!m.prefix().equals(DdlMessage.PREFIX)) {
                out.add(m.prefix() + " " + new String(m.body(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String scalar(Connection c, String sql) throws Exception {
        try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aSecondInstallLeavesTheCurrentTriggersAsTheyAre() throws Exception {
        pg.createDatabase("twice");
        assertThat(install("twice")).isTrue();
        String first = triggers("twice");
        assertThat(first).contains("sluice_ddl=").doesNotContain("/D");
        assertThat(first.split(",")).hasSize(DdlTrigger.TRIGGERS.size());
        assertThat(install("twice")).isTrue();
        assertThat(triggers("twice")).as("not dropped and created again").isEqualTo(first);
    }

    @Test
    void aDisabledTriggerOrAMissingFunctionIsInstalledAgain() throws Exception {
        pg.createDatabase("broken");
        install("broken");
        try (Connection c = pg.connect("broken"); var st = c.createStatement()) {
            st.execute("ALTER EVENT TRIGGER sluice_ddl DISABLE");
        }
        install("broken");
        assertThat(triggers("broken")).as("enabled again").doesNotContain("/D");
        String before = triggers("broken");
        try (Connection c = pg.connect("broken"); var st = c.createStatement()) {
            st.execute("DROP FUNCTION sluice.forget_name(oid)");
        }
        install("broken");
        assertThat(triggers("broken")).as("the script ran again").isNotEqualTo(before);
        try (Connection c = pg.connect("broken"); var st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regprocedure('sluice.forget_name(oid)') IS NOT NULL")) {
            assertThat(rs.next() && rs.getBoolean(1)).isTrue();
        }
    }

    @Test
    void anotherScriptsMarkIsInstalledAgain() throws Exception {
        pg.createDatabase("older");
        install("older");
        String before = triggers("older");
        try (Connection c = pg.connect("older"); var st = c.createStatement()) {
            st.execute("COMMENT ON FUNCTION sluice.emit_ddl() IS 'sluice ddl-capture of an older script'");
        }
        install("older");
        assertThat(triggers("older")).isNotEqualTo(before);
        try (Connection c = pg.connect("older"); var st = c.createStatement();
             var rs = st.executeQuery("SELECT obj_description('sluice.emit_ddl()'::regprocedure, 'pg_proc')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(DdlTrigger.MARK);
        }
    }
}
