package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;

/**
 * The catalog test with a PostgreSQL 15 primary — the oldest PostgreSQL still supported — and a PostgreSQL 17
 * follower, through the default engine: every type of the 15 server's own catalog, exactly. Capture's ways for a
 * server before 17 (a slot that is no failover slot, intervals without {@code infinity})
 * run here, which the tests of a 17 primary never take. The 15 server comes from its zonky binaries jar, which
 * the build copies into {@code target/older-postgres} (e2e/pom.xml).
 */
class OlderPrimaryTypeCatalogIT extends TypeCatalogIT {

    @Override
    Stack servers(Path dir) {
        LocalPostgres primary = LocalPostgres.builder("primary15").dataDirectory(dir.resolve("primary15"))
                .binaries(Path.of("target", "older-postgres", "postgres-15.jar")).start();
        try {
            assertThat(primary.queryScalar("SELECT current_setting('server_version_num')")).as("the primary's version").startsWith("15");
        } catch (java.sql.SQLException e) {
            primary.close();
            throw new IllegalStateException(e);
        }
        return new Stack(dir, primary, 1);
    }
}
