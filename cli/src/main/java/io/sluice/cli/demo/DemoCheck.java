package io.sluice.cli.demo;

import io.sluice.cli.Wiring;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

/**
 * The demos' final check, through the verifier {@code sluice verify} uses: every table of every
 * follower against the primary's, a {@code check:} line each. Returns how many tables differ.
 */
final class DemoCheck {

    private DemoCheck() {
    }

    /** {@code against} names the primary in the lines ({@code the primary}, {@code the new primary}). */
    static int followers(DataSource primary, List<DemoFollower> fs, String source, List<String> tables, String against,
                         PrintStream out) throws Exception {
        int failures = 0;
        for (DemoFollower f : fs) {
            Verifier.Report report = new Verifier(primary, new JdbcDataSource(f.pg.jdbcUrl(), Wiring.embeddedConnection()), source,
                    1000, 3, Duration.ofSeconds(10)).verify(tables);
            for (Verifier.TableResult t : report.tables()) {
                failures += t.equal() ? 0 : 1;
                out.printf("check: follower %s %s %s on %-18s (%d rows, %d chunk(s) compared by hash)%n", f.name,
                        t.equal() ? "EQUALS" : "DIFFERS FROM", against, t.table(), t.followerRows(), t.chunks());
                t.differences().forEach(d -> out.println("    " + d));
            }
        }
        return failures;
    }
}
