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

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" / ");
        }
        return sb.toString();
    }
}
