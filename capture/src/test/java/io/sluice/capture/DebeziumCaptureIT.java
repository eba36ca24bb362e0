package io.sluice.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capture contract on the Debezium embedded engine ({@code capture.engine = debezium}). */
class DebeziumCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.DEBEZIUM;
    }

    @Test
    void aTypeDebeziumCannotCarryExactlyStopsCaptureNamingTableColumnAndType() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_refused (id int PRIMARY KEY, p point)");
        }
        try (CaptureService capture = new CaptureService(config(pg, "refused", List.of("public.t_refused")))) {
            capture.start();
            pg.execute("INSERT INTO t_refused VALUES (1, '(1.5,2)')");
            Await.until(Duration.ofSeconds(60), () -> "capture to refuse the point column", () -> capture.failure().isPresent());
            String why = messages(capture.failure().get());
            assertThat(why).contains("cannot carry column p of public.t_refused: type point", "capture.engine=pgoutput");
            assertThat(capture.state()).isEqualTo(CaptureService.State.FAILED);
        }
    }

    /** The rows of a partition attached holding them come only as the DDL triggers' rows, which this engine refuses. */
    @Test
    void aPartitionAttachedHoldingRowsStopsCaptureNamingTheWayOn() throws Exception {
        try (Connection c = pg.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t_parts (id int PRIMARY KEY) PARTITION BY RANGE (id)");
            st.execute("CREATE TABLE t_parts_1 PARTITION OF t_parts FOR VALUES FROM (0) TO (10)");
        }
        try (CaptureService capture = new CaptureService(config(pg, "attach", List.of("public.t_parts")))) {
            capture.start();
            pg.execute("INSERT INTO t_parts VALUES (1)", "CREATE TABLE t_parts_2 (LIKE t_parts)", "INSERT INTO t_parts_2 VALUES (11)",
                    "ALTER TABLE t_parts ATTACH PARTITION t_parts_2 FOR VALUES FROM (10) TO (20)");
            Await.until(Duration.ofSeconds(60), () -> "capture to refuse the attached rows", () -> capture.failure().isPresent());
            assertThat(messages(capture.failure().get())).contains("ATTACH PARTITION", "capture.engine=pgoutput");
        }
    }

    /**
     * A table written and dropped in one transaction: this engine reads a table's columns from the
     * catalog when it meets the rows, after the DROP; it stops saying so (it stopped calling the
     * table's integer column a type it does not carry).
     */
    @Test
    void rowsOfATableDroppedBeforeTheyWereReadStopCaptureSayingWhy() throws Exception {
        pg.execute("CREATE TABLE t_fleeting (id int PRIMARY KEY)");
        try (CaptureService capture = new CaptureService(config(pg, "fleeting", List.of("public.t_fleeting")))) {
            capture.start();
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                st.execute("INSERT INTO t_fleeting VALUES (1)");
                st.execute("DROP TABLE t_fleeting");
                c.commit();
            }
            Await.until(Duration.ofSeconds(60), () -> "capture to stop on the dropped table's rows", () -> capture.failure().isPresent());
            assertThat(messages(capture.failure().get())).contains("public.t_fleeting", "no longer has it", "capture.engine=pgoutput");
        }
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" / ");
        }
        return sb.toString();
    }
}
