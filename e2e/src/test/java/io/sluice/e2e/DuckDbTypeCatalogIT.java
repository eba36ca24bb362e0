package io.sluice.e2e;

import io.sluice.applier.ApplierConfig;
import io.sluice.verify.DuckDbVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The catalog's types through the default engine onto a follower of kind {@code duckdb}: each table
 * in the DuckDB file holds exactly the primary's rows, compared value by value by the verifier
 * ({@link DuckDbVerifier}: dates by epoch day, timestamps by epoch microsecond, floats by their
 * bits, text kept as PostgreSQL text read back by the primary). Every value is carried but the
 * last 29 years of PostgreSQL's timestamps, past the end of DuckDB's, and the infinite intervals of
 * PostgreSQL 17, which DuckDB's INTERVAL lacks (both refused: {@code DuckDbIT}).
 */
class DuckDbTypeCatalogIT extends TypeCatalogIT {

    static Path file() {
        return dir.resolve("f0.duckdb");
    }

    @Override
    ApplierConfig follower() {
        return ApplierConfig.of(SOURCE, "f0", "jdbc:duckdb:" + file(), new Properties(),
                Map.of("bootstrap.servers", stack.kafka.bootstrapServers())).withKind(ApplierConfig.Kind.DUCKDB);
    }

    @Override
    boolean carries(String type, String edge) {
        return !(edge.startsWith("294276") && type.startsWith("timestamp")
                || edge.toLowerCase(java.util.Locale.ROOT).endsWith("infinity") && type.equals("interval"));
    }

    @Override
    void awaitFollowerEqual(String table, Duration timeout) {
        DuckDbVerifier verifier = new DuckDbVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()), file(), 0,
                Duration.ZERO);
        AtomicReference<Verifier.Report> last = new AtomicReference<>();
        Await.until(timeout, () -> "the DuckDB table " + table + " to hold the primary's rows (last: " + last.get() + ")",
                () -> {
                    last.set(verifier.verify(List.of("public." + table)));
                    return last.get().equal();
                });
    }

    @Override
    int followerTypeTables() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'tc\\_%' ESCAPE '\\'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
