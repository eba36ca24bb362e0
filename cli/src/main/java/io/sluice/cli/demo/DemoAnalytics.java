package io.sluice.cli.demo;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.verify.DuckDbVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * The demo's analytical follower ({@code --duckdb}): the stream applied to a DuckDB file by an
 * applier in this process, an aggregate over the live transfers queried on it, and at the end the
 * file compared with the primary by the verifier (connections of one process share the file).
 */
final class DemoAnalytics implements AutoCloseable {

    static final String NAME = "analytics";

    private final Path file;
    private final StreamApplier applier;

    DemoAnalytics(SluiceConfig cfg, String bootstrap, Path dir) {
        this.file = dir.resolve(NAME + ".duckdb");
        this.applier = new StreamApplier(ApplierConfig.of(cfg.sourceId(), NAME, "jdbc:duckdb:" + file, new Properties(),
                cfg.kafka().clientProperties(bootstrap)).withKind(ApplierConfig.Kind.DUCKDB));
    }

    void start() {
        applier.start();
    }

    String file() {
        return file.toString();
    }

    /** One line: what DuckDB computes over the transfers the follower holds now. */
    String query() {
        try (Connection c = open(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT count(*), coalesce(sum(amount), 0), coalesce(arg_max(src, n), 0), coalesce(max(n), 0)
                  FROM public.transfers t, (SELECT src AS s, count(*) AS n FROM public.transfers GROUP BY src) busiest
                 WHERE t.src = busiest.s""")) {
            rs.next();
            return String.format("analytics (DuckDB, live): %d transfers, %s moved; busiest sender account %d (%d transfers)",
                    rs.getLong(1), rs.getBigDecimal(2).toPlainString(), rs.getLong(3), rs.getLong(4));
        } catch (SQLException e) {
            return "analytics (DuckDB): " + e.getMessage().lines().findFirst().orElse("") + " (the snapshot is not in yet)";
        }
    }

    /** Waits until the file holds every transfer up to {@code lastId}; says so on {@code out} when it does not in 60 s. */
    void awaitTransfers(String lastId, PrintStream out) {
        try {
            io.sluice.embedded.Await.until(Duration.ofSeconds(60), () -> "DuckDB follower " + NAME + " to apply every transfer",
                    () -> {
                        try (Connection c = open(); Statement st = c.createStatement();
                             ResultSet rs = st.executeQuery("SELECT CAST(max(id) AS VARCHAR) FROM public.transfers")) {
                            return rs.next() && Objects.equals(lastId, rs.getString(1));
                        }
                    });
        } catch (AssertionError e) {
            out.println("DuckDB follower " + NAME + " did not catch up: " + e.getMessage());
        }
    }

    /** Compares every table with the primary, a line each; returns the tables that differ. */
    int check(JdbcDataSource primary, List<String> tables, PrintStream out) throws Exception {
        Verifier.Report report = new DuckDbVerifier(primary, file, 0, Duration.ZERO).verify(tables);
        int failures = 0;
        for (Verifier.TableResult t : report.tables()) {
            failures += t.equal() ? 0 : 1;
            out.printf("check: DuckDB follower %s %s the primary on %-18s (%d rows, value by value)%n", NAME,
                    t.equal() ? "EQUALS" : "DIFFERS FROM", t.table(), t.followerRows());
            t.differences().forEach(d -> out.println("    " + d));
        }
        return failures;
    }

    private Connection open() throws SQLException {
        return DriverManager.getConnection("jdbc:duckdb:" + file, new Properties());
    }

    @Override
    public void close() {
        applier.close();
    }
}
