package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.capture.internal.pgoutput.PgOutputMessage.Tuple;
import io.sluice.embedded.LocalPostgres;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder against the real server: the bytes are what PostgreSQL's own {@code pgoutput}
 * produces for a slot ({@code pg_logical_slot_peek_binary_changes}), and every value must be the
 * text the server's output function gives the same row when queried.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PgOutputDecoderIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("pgoutput", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void decodesEveryMessageOfATransactionWithValuesInTheServersOwnText() throws Exception {
        pg.execute("CREATE TYPE feeling AS ENUM ('meh', 'yay')",
                "CREATE TABLE kinds (id int PRIMARY KEY, t text, n numeric, ts timestamptz, tm time, tz timetz, p point,"
                        + " b bit(5), a int[], a2 int[][], f feeling, j jsonb, big text)",
                "CREATE TABLE loose (x int, y text)", "ALTER TABLE loose REPLICA IDENTITY FULL",
                "CREATE PUBLICATION pub_kinds FOR TABLE kinds, loose",
                "SELECT pg_create_logical_replication_slot('slot_kinds', 'pgoutput')");
        pg.execute("""
                BEGIN;
                INSERT INTO kinds VALUES (1, E'tab\\there ''q'' é', 'NaN', '-infinity', '24:00:00', '08:30:00+05:30',
                  '(1.5,-2)', B'00101', '{1,NULL,3}', '{{1,2},{3,4}}', 'yay', '{"k": [1, null]}',
                  (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 5000) g));
                INSERT INTO kinds (id) VALUES (2);
                INSERT INTO loose VALUES (1, 'a'), (2, NULL);
                SELECT pg_logical_emit_message(true, 'sluice.test', 'in the transaction');
                COMMIT;""",
                "UPDATE kinds SET t = 'changed' WHERE id = 1",
                "UPDATE kinds SET id = 3 WHERE id = 2",
                "UPDATE loose SET y = 'b' WHERE x = 1",
                "DELETE FROM loose WHERE x = 2",
                "DELETE FROM kinds WHERE id = 3",
                "SELECT pg_logical_emit_message(false, 'sluice.test', 'on its own')",
                "TRUNCATE kinds, loose");

        List<PgOutputMessage> messages = new ArrayList<>();
        List<String> expectedRow1 = new ArrayList<>();
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('slot_kinds', NULL, NULL,"
                    + " 'proto_version', '1', 'publication_names', 'pub_kinds', 'messages', 'true')")) {
                PgOutputDecoder decoder = new PgOutputDecoder();
                while (rs.next()) {
                    messages.add(decoder.decode(ByteBuffer.wrap(rs.getBytes(1))));
                }
            }
            // The row as it was inserted, each column through its type's output function.
            try (ResultSet rs = st.executeQuery("SELECT 1, E'tab\\there ''q'' é'::text, 'NaN'::numeric, '-infinity'::timestamptz,"
                    + " '24:00:00'::time, '08:30:00+05:30'::timetz, '(1.5,-2)'::point, B'00101'::bit(5), '{1,NULL,3}'::int[],"
                    + " '{{1,2},{3,4}}'::int[][], 'yay'::feeling, '{\"k\": [1, null]}'::jsonb,"
                    + " (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 5000) g)")) {
                rs.next();
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    expectedRow1.add(rs.getString(i));
                }
            }
        }

        List<String> kinds = messages.stream().map(m -> m.getClass().getSimpleName()).toList();
        assertThat(kinds).containsExactly(
                "Begin", "Type", "Relation", "Insert", "Insert", "Relation", "Insert", "Insert", "LogicalMessage", "Commit",
                "Begin", "Update", "Commit",
                "Begin", "Update", "Commit",
                "Begin", "Update", "Commit",
                "Begin", "Delete", "Commit",
                "Begin", "Delete", "Commit",
                "LogicalMessage",
                // TRUNCATE gives the tables new files: pgoutput sends their shapes (and types) again.
                "Begin", "Type", "Relation", "Relation", "Truncate", "Commit");

        PgOutputMessage.Begin begin = (PgOutputMessage.Begin) messages.get(0);
        PgOutputMessage.Commit commit = (PgOutputMessage.Commit) messages.get(9);
        assertThat(commit.commitLsn()).as("the Begin's final LSN is the Commit's").isEqualTo(begin.finalLsn());
        assertThat(commit.commitTime()).isEqualTo(begin.commitTime());
        assertThat(commit.endLsn().compareTo(commit.commitLsn())).isPositive();

        PgOutputMessage.Type feeling = (PgOutputMessage.Type) messages.get(1);
        assertThat(feeling.name()).isEqualTo("feeling");
        PgOutputMessage.Relation rel = (PgOutputMessage.Relation) messages.get(2);
        assertThat(rel.namespace()).isEqualTo("public");
        assertThat(rel.name()).isEqualTo("kinds");
        assertThat(rel.replicaIdentity()).isEqualTo('d');
        assertThat(rel.columns()).extracting(PgOutputMessage.RelationColumn::name)
                .containsExactly("id", "t", "n", "ts", "tm", "tz", "p", "b", "a", "a2", "f", "j", "big");
        assertThat(rel.columns().get(0).key()).isTrue();
        assertThat(rel.columns().get(10).typeOid()).isEqualTo(feeling.oid());
        assertThat(rel.columns().get(7).typeModifier()).as("bit(5)").isEqualTo(5);

        Tuple row1 = ((PgOutputMessage.Insert) messages.get(3)).row();
        List<String> decoded = new ArrayList<>();
        for (int i = 0; i < row1.size(); i++) {
            decoded.add(row1.text(i));
        }
        assertThat(decoded).as("every value exactly as the server prints it").isEqualTo(expectedRow1);
        Tuple row2 = ((PgOutputMessage.Insert) messages.get(4)).row();
        assertThat(row2.kinds()[1]).as("NULL").isEqualTo(Tuple.NULL);

        PgOutputMessage.LogicalMessage inTx = (PgOutputMessage.LogicalMessage) messages.get(8);
        assertThat(inTx.transactional()).isTrue();
        assertThat(new String(inTx.content())).isEqualTo("in the transaction");
        PgOutputMessage.LogicalMessage alone = (PgOutputMessage.LogicalMessage) messages.get(25);
        assertThat(alone.transactional()).isFalse();
        assertThat(alone.prefix()).isEqualTo("sluice.test");

        PgOutputMessage.Update toasted = (PgOutputMessage.Update) messages.get(11);
        assertThat(toasted.oldKey()).isNull();
        assertThat(toasted.row().kinds()[12]).as("the TOASTed column the update did not touch").isEqualTo(Tuple.UNCHANGED);
        assertThat(toasted.row().text(1)).isEqualTo("changed");
        PgOutputMessage.Update keyChange = (PgOutputMessage.Update) messages.get(14);
        assertThat(keyChange.oldKey().text(0)).as("the old key").isEqualTo("2");
        assertThat(keyChange.row().text(0)).isEqualTo("3");
        PgOutputMessage.Update full = (PgOutputMessage.Update) messages.get(17);
        assertThat(full.oldRow().text(1)).as("REPLICA IDENTITY FULL sends the old row").isEqualTo("a");
        PgOutputMessage.Delete fullDelete = (PgOutputMessage.Delete) messages.get(20);
        assertThat(fullDelete.oldRow().kinds()[1]).isEqualTo(Tuple.NULL);
        PgOutputMessage.Delete keyDelete = (PgOutputMessage.Delete) messages.get(23);
        assertThat(keyDelete.oldKey().text(0)).isEqualTo("3");
        PgOutputMessage.Truncate truncate = (PgOutputMessage.Truncate) messages.get(30);
        assertThat(truncate.relationOids()).hasSize(2).contains(rel.oid());
    }

    @Test
    void aLargeTransactionIsStreamedInBlocksThatCarryItsXid() throws Exception {
        pg.execute("CREATE TABLE bulk (id int PRIMARY KEY, pad text)", "CREATE PUBLICATION pub_bulk FOR TABLE bulk",
                "SELECT pg_create_logical_replication_slot('slot_bulk', 'pgoutput')",
                "INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g");
        List<PgOutputMessage> messages = new ArrayList<>();
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("SET logical_decoding_work_mem = '64kB'");
            try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_peek_binary_changes('slot_bulk', NULL, NULL,"
                    + " 'proto_version', '2', 'streaming', 'on', 'publication_names', 'pub_bulk')")) {
                PgOutputDecoder decoder = new PgOutputDecoder();
                while (rs.next()) {
                    messages.add(decoder.decode(ByteBuffer.wrap(rs.getBytes(1))));
                }
            }
        }
        List<PgOutputMessage.StreamStart> starts = messages.stream().filter(m -> m instanceof PgOutputMessage.StreamStart)
                .map(m -> (PgOutputMessage.StreamStart) m).toList();
        assertThat(starts).as("streamed in several blocks").hasSizeGreaterThan(1);
        assertThat(starts.get(0).firstSegment()).isTrue();
        assertThat(starts.get(1).firstSegment()).isFalse();
        PgOutputMessage.StreamCommit commit = (PgOutputMessage.StreamCommit) messages.get(messages.size() - 1);
        assertThat(commit.xid()).isEqualTo(starts.get(0).xid());
        List<PgOutputMessage.Insert> inserts = messages.stream().filter(m -> m instanceof PgOutputMessage.Insert)
                .map(m -> (PgOutputMessage.Insert) m).toList();
        assertThat(inserts).hasSize(5000).allSatisfy(i -> assertThat(i.streamXid()).isEqualTo(commit.xid()));
        assertThat(messages).noneMatch(m -> m instanceof PgOutputMessage.Begin);
    }

    @Test
    void aMessageCutShortOrOfUnknownTypeIsRefusedSayingWhere() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(new byte[] {'B', 0, 0, 0})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pgoutput message 'B' is cut short");
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(new byte[] {'P', 0})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pgoutput message 'P'")
                .hasMessageContaining("unknown message type");
    }
}
