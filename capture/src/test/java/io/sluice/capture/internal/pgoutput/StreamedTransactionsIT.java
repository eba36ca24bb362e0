package io.sluice.capture.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.embedded.LocalPostgres;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed transactions against the real server: the same workload decoded twice from two slots,
 * once as protocol 1 sends it (each transaction whole at its commit) and once as protocol 2 with
 * {@code streaming on} and a 64 kB {@code logical_decoding_work_mem} sends it (in blocks while the
 * transactions run, interleaved, some rolled back in part or whole). What
 * {@link StreamedTransactions} hands back at each commit must be, transaction by transaction and
 * change by change, what protocol 1 sent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamedTransactionsIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("streamed", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void everyStreamedTransactionIsHandedBackAtItsCommitExactlyAsProtocolOneSendsIt() throws Exception {
        pg.execute("CREATE TABLE big (id int PRIMARY KEY, pad text)", "CREATE TABLE side (id int PRIMARY KEY, note text)",
                "CREATE PUBLICATION pub_streamed FOR TABLE big, side",
                "SELECT pg_create_logical_replication_slot('whole', 'pgoutput')",
                "SELECT pg_create_logical_replication_slot('streamed', 'pgoutput')");
        try (Connection a = pg.connect(); Connection b = pg.connect(); Statement sa = a.createStatement();
             Statement sb = b.createStatement()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            // Two large transactions interleaved, a small one committing between their blocks.
            sa.execute("INSERT INTO big SELECT g, repeat('a', 100) FROM generate_series(1, 3000) g");
            sb.execute("INSERT INTO big SELECT g, repeat('b', 100) FROM generate_series(100001, 103000) g");
            pg.execute("INSERT INTO side VALUES (1, 'between the blocks')");
            // Subtransactions: one kept, one rolled back with a nested one inside it, then more rows.
            sa.execute("SAVEPOINT kept");
            sa.execute("UPDATE big SET pad = 'kept' WHERE id <= 1000");
            sa.execute("RELEASE SAVEPOINT kept");
            sa.execute("SAVEPOINT undone");
            sa.execute("INSERT INTO big SELECT g, repeat('u', 100) FROM generate_series(200001, 202000) g");
            sa.execute("SAVEPOINT nested");
            sa.execute("DELETE FROM big WHERE id BETWEEN 1 AND 500");
            sa.execute("ROLLBACK TO SAVEPOINT undone");
            sa.execute("INSERT INTO side VALUES (2, 'after the rollback')");
            sa.execute("DELETE FROM big WHERE id BETWEEN 2001 AND 2500");
            sb.execute("UPDATE big SET pad = 'b2' WHERE id BETWEEN 100001 AND 101500");
            b.commit();
            a.commit();
            // A large transaction rolled back whole.
            sa.execute("INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(300001, 303000) g");
            a.rollback();
            sa.execute("SELECT pg_logical_emit_message(true, 'sluice.test', 'last')");
            sa.execute("TRUNCATE side");
            a.commit();
        }

        List<String> whole = new ArrayList<>();
        StringBuilder tx = new StringBuilder();
        for (ByteBuffer raw : changes("whole", "'proto_version', '1'")) {
            PgOutputMessage m = new PgOutputDecoder().decode(raw);
            if (m instanceof PgOutputMessage.Commit c) {
                whole.add(c.endLsn() + " " + tx);
                tx.setLength(0);
            } else {
                tx.append(render(m));
            }
        }

        Path spool = dir.resolve("spool");
        List<String> replayed = new ArrayList<>();
        int blocks = 0;
        int aborts = 0;
        try (StreamedTransactions streamed = new StreamedTransactions(spool)) {
            PgOutputDecoder decoder = new PgOutputDecoder();
            for (ByteBuffer raw : changes("streamed", "'proto_version', '2', 'streaming', 'on'")) {
                PgOutputMessage m = decoder.decode(raw);
                blocks += m instanceof PgOutputMessage.StreamStart ? 1 : 0;
                aborts += m instanceof PgOutputMessage.StreamAbort ? 1 : 0;
                if (m instanceof PgOutputMessage.StreamCommit c) {
                    StringBuilder r = new StringBuilder();
                    streamed.replay(c, msg -> r.append(render(msg)));
                    replayed.add(c.endLsn() + " " + r);
                } else if (!streamed.take(m, raw)) {
                    if (m instanceof PgOutputMessage.Commit c) {
                        replayed.add(c.endLsn() + " " + tx);
                        tx.setLength(0);
                    } else {
                        tx.append(render(m));
                    }
                }
            }
            assertThat(streamed.inProgress()).as("every streamed transaction committed or rolled back").isZero();
        }
        assertThat(blocks).as("the large transactions arrived in blocks").isGreaterThan(4);
        assertThat(aborts).as("the rolled-back subtransaction and transaction were streamed, then aborted").isGreaterThanOrEqualTo(2);
        assertThat(whole).hasSize(4);
        assertThat(replayed).isEqualTo(whole);
        assertThat(whole.get(2)).as("the transaction with subtransactions, rolled-back rows absent")
                .doesNotContain("uuuu").contains("after the rollback").contains("|kept);");
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).as("no spool file left behind").isEmpty();
        }
    }

    @Test
    void aBlockContinuingATransactionWhoseFirstBlockWasNeverSeenIsRefused() {
        try (StreamedTransactions streamed = new StreamedTransactions(dir.resolve("refused"))) {
            assertThatThrownBy(() -> streamed.take(new PgOutputMessage.StreamStart(7, false), ByteBuffer.allocate(0)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("transaction 7")
                    .hasMessageContaining("first block");
            assertThatThrownBy(() -> streamed.replay(new PgOutputMessage.StreamCommit(8, io.sluice.format.Lsn.ZERO,
                    io.sluice.format.Lsn.parse("0/10"), java.time.Instant.EPOCH), m -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("streamed transaction 8")
                    .hasMessageContaining("0/10");
        }
    }

    private static List<ByteBuffer> changes(String slot, String protocol) throws Exception {
        List<ByteBuffer> out = new ArrayList<>();
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("SET logical_decoding_work_mem = '64kB'");
            try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_get_binary_changes('" + slot + "', NULL, NULL, "
                    + protocol + ", 'publication_names', 'pub_streamed', 'messages', 'true')")) {
                while (rs.next()) {
                    out.add(ByteBuffer.wrap(rs.getBytes(1)));
                }
            }
        }
        return out;
    }

    /** A change as text: its kind, table oid and values; relation and type messages by name. */
    private static String render(PgOutputMessage m) {
        if (m instanceof PgOutputMessage.Insert i) {
            return "I" + i.relationOid() + tuple(i.row());
        } else if (m instanceof PgOutputMessage.Update u) {
            return "U" + u.relationOid() + tuple(u.oldKey()) + tuple(u.oldRow()) + tuple(u.row());
        } else if (m instanceof PgOutputMessage.Delete d) {
            return "D" + d.relationOid() + tuple(d.oldKey()) + tuple(d.oldRow());
        } else if (m instanceof PgOutputMessage.Truncate t) {
            return "T" + t.relationOids() + t.cascade() + t.restartIdentity() + ";";
        } else if (m instanceof PgOutputMessage.LogicalMessage l) {
            return "M" + l.prefix() + " " + new String(l.content(), java.nio.charset.StandardCharsets.UTF_8) + ";";
        }
        return ""; // shapes: protocol 2 sends a table's shape again in each streamed transaction that uses it

    }

    private static String tuple(PgOutputMessage.Tuple t) {
        if (t == null) {
            return "-";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < t.size(); i++) {
            s.append(t.kinds()[i] == PgOutputMessage.Tuple.TEXT ? t.text(i) : String.valueOf((char) t.kinds()[i]))
                    .append(i + 1 < t.size() ? "|" : "");
        }
        return s.append(");").toString();
    }
}
