package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;

/** The capture contract on Sluice's own pgoutput reader, the default engine. */
class PgOutputCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }

    /**
     * A burst the primary writes faster than its walsender sends: capture falls far behind while
     * streaming, ends its walsender, reads the backlog through SQL and streams again; every
     * transaction once, whole and in commit order.
     */
    @org.junit.jupiter.api.Test
    void farBehindWhileStreamingCaptureReadsThroughSqlAndStreamsAgainWithEveryTransactionOnce() throws Exception {
        pg.execute("CREATE TABLE t_burst (id bigint PRIMARY KEY, v text)");
        String walsender = io.sluice.format.CaptureSessions.walsender("burst");
        String pid = "SELECT pid FROM pg_stat_replication WHERE application_name = '" + walsender + "'";
        try (CaptureService capture = new CaptureService(config(pg, "burst", java.util.List.of("public.t_burst")));
             StreamReader reader = new StreamReader(kafka.bootstrapServers(), "burst")) {
            capture.start();
            io.sluice.embedded.Await.until(java.time.Duration.ofSeconds(30), () -> "capture's walsender streaming",
                    () -> pg.queryScalar(pid) != null);
            String before = pg.queryScalar(pid);
            // 4,000 transactions of 100 small rows: 400,000 messages, tens of MB of WAL in well under a second.
            int transactions = 4_000;
            pg.execute("DO $$ BEGIN FOR i IN 0.." + (transactions - 1) + " LOOP"
                    + " INSERT INTO t_burst SELECT i * 100 + g, repeat('v', 20) FROM generate_series(0, 99) g; COMMIT;"
                    + " END LOOP; END $$");
            java.util.List<java.util.List<io.sluice.format.ChangeEvent>> frames = StreamReader.frames(reader.until(
                    java.time.Duration.ofSeconds(120), "the burst's transactions",
                    ev -> StreamReader.committedFrames(ev) >= transactions));
            long expected = 0;
            for (java.util.List<io.sluice.format.ChangeEvent> f : frames) {
                for (io.sluice.format.ChangeEvent.Insert row : StreamReader.inserts(f)) {
                    assertThat(io.sluice.format.SqlText.of(row.after().get("id"))).as("every row once, in commit order")
                            .isEqualTo(String.valueOf(expected++));
                }
            }
            assertThat(expected).isEqualTo(100L * transactions);
            io.sluice.embedded.Await.until(java.time.Duration.ofSeconds(30), () -> "capture's walsender streaming again",
                    () -> pg.queryScalar(pid) != null);
            assertThat(pg.queryScalar(pid)).as("capture ended its walsender to read through SQL, then streamed again")
                    .isNotEqualTo(before);
        }
    }

    /** The contract's backlog (read through SQL by default) read through the walsender instead. */
    @org.junit.jupiter.api.Test
    void aBacklogReadThroughTheWalsenderArrivesWholeAndInCommitOrder() throws Exception {
        backlogArrivesWholeAndInCommitOrder("backlogws", cfg -> cfg.withCatchUp(CaptureConfig.CatchUp.WALSENDER));
    }
}
