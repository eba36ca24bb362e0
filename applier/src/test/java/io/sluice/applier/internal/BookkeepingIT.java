package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bookkeeping's migration on a real follower: Flyway left out only where it would do nothing. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BookkeepingIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.start("bookkeeping", dir);
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    private static boolean current(String database) throws Exception {
        try (Connection c = pg.connect(database)) {
            return Bookkeeping.current(c);
        }
    }

    private static void execute(String database, String sql) throws Exception {
        try (Connection c = pg.connect(database); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Test
    void aFreshFollowerIsMigratedAndThenCurrent() throws Exception {
        pg.createDatabase("fresh");
        assertThat(current("fresh")).isFalse();
        Bookkeeping.migrate(pg.jdbcUrl("fresh"), new Properties());
        assertThat(current("fresh")).isTrue();
        try (Connection c = pg.connect("fresh"); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('sluice.watermark') IS NOT NULL AND to_regclass('sluice.conflict') IS NOT NULL")) {
            assertThat(rs.next() && rs.getBoolean(1)).as("the first and the latest migration's tables").isTrue();
        }
        Bookkeeping.migrate(pg.jdbcUrl("fresh"), new Properties()); // current: nothing to do, nothing fails
        assertThat(current("fresh")).isTrue();
    }

    @Test
    void aFollowerWithoutTheLatestMigrationIsNotCurrent() throws Exception {
        pg.createDatabase("behind");
        Bookkeeping.migrate(pg.jdbcUrl("behind"), new Properties());
        execute("behind", "DELETE FROM sluice.flyway_schema_history WHERE version = '" + Bookkeeping.LATEST_MIGRATION + "'");
        assertThat(current("behind")).isFalse();
    }

    @Test
    void aFailedMigrationIsLeftToFlywayToReport() throws Exception {
        pg.createDatabase("failed");
        Bookkeeping.migrate(pg.jdbcUrl("failed"), new Properties());
        execute("failed", "UPDATE sluice.flyway_schema_history SET success = false WHERE version = '"
                + Bookkeeping.LATEST_MIGRATION + "'");
        assertThat(current("failed")).isFalse();
        assertThatThrownBy(() -> Bookkeeping.migrate(pg.jdbcUrl("failed"), new Properties()))
                .hasMessageContaining("failed migration to version " + Bookkeeping.LATEST_MIGRATION);
    }
}
