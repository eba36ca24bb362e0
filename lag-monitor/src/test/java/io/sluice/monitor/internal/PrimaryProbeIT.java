package io.sluice.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.LocalPostgres;
import io.sluice.format.CaptureSessions;
import io.sluice.monitor.MonitorConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The primary probe against a real server: capture's slot counts as read while capture's SQL catch-up session is there. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrimaryProbeIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start("probe-primary", dir);
        pg.execute("SELECT pg_create_logical_replication_slot('sluice_probe', 'pgoutput')");
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    static Connection session(String applicationName) throws Exception {
        Connection c = pg.connect();
        try (Statement st = c.createStatement()) {
            st.execute("SET application_name = '" + applicationName + "'");
        }
        return c;
    }

    @Test
    void theSlotIsReadWhileCapturesCatchUpSessionIsThereAndNotOtherwise() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", LocalPostgres.SUPERUSER);
        try (PrimaryProbe probe = new PrimaryProbe(new MonitorConfig.Endpoint(pg.jdbcUrl(), p), "probe", "sluice_probe",
                Duration.ofSeconds(5))) {
            assertThat(probe.sample().slotFound()).isTrue();
            assertThat(probe.sample().slotActive()).as("no walsender, no catch-up session").isFalse();
            try (Connection other = session(CaptureSessions.catchUp("another"))) {
                assertThat(probe.sample().slotActive()).as("another source's catch-up session").isFalse();
            }
            try (Connection catchUp = session(CaptureSessions.catchUp("probe"))) {
                assertThat(probe.sample().slotActive()).as("capture catching up through SQL").isTrue();
            }
            // A backend leaves pg_stat_activity as it exits, just after its client closed the connection.
            io.sluice.embedded.Await.until(Duration.ofSeconds(10), () -> "the catch-up session gone, the slot not read",
                    () -> !probe.sample().slotActive());
        }
    }
}
