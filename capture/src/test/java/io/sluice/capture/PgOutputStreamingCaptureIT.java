package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import io.sluice.format.ChangeEvent;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The capture contract on Sluice's own pgoutput reader with every transaction streamed while it
 * is in progress ({@code debug_logical_replication_streaming = immediate}: the primary sends each
 * change in a Stream Start … Stop block as it is decoded), so each test of the contract passes
 * through the streamed path, held until its Stream Commit.
 */
class PgOutputStreamingCaptureIT extends CaptureContract {

    /** Runs after the contract's own start: every walsender started from now on streams each change. */
    @BeforeAll
    static void streamEveryChange() throws Exception {
        pg.execute("ALTER SYSTEM SET debug_logical_replication_streaming = immediate", "SELECT pg_reload_conf()");
    }

    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }

    @Test
    void transactionsReachTheStreamThroughTheStreamedPath() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_streamed (id int PRIMARY KEY, v text)");
        }
        try (CaptureService capture = new CaptureService(config(pg, "streamed", List.of("public.t_streamed")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "streamed");
             Connection c = pg.connect()) {
            capture.start();
            Committed t = run(c, "INSERT INTO t_streamed VALUES (1, 'a'), (2, 'b')", "UPDATE t_streamed SET v = 'c' WHERE id = 2");
            List<ChangeEvent> f = StreamReader.frames(reader.until(Duration.ofSeconds(60), "the frame",
                    ev -> StreamReader.committedFrames(ev) >= 1)).get(0);
            assertThat(f.get(0).header().xid()).isEqualTo(t.xid());
            assertThat(f).extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("Begin", "SchemaChange", "Insert", "Insert", "Update", "Commit");
            // The slot's statistics reach the view when the walsender next reports them.
            Await.until(Duration.ofSeconds(30), () -> "the primary counting the transaction as streamed in progress",
                    () -> Long.parseLong(pg.queryScalar("SELECT coalesce(max(stream_txns), 0) FROM pg_stat_replication_slots"
                            + " WHERE slot_name = 'slot_streamed'")) > 0);
        }
    }
}
