package io.sluice.cli.demo;

import io.sluice.cli.Main;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A short demo, run the way a newcomer runs it: exit 0, and its last lines report every follower equal. */
class DemoIT {

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shortDemoEndsWithEveryFollowerEqualToThePrimary() {
        String out = demo("--duration", "5s", "--rate", "100", "--no-ui");
        String[] lines = out.strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo("demo: every follower equals the primary.");
        assertThat(out).contains("check: follower a EQUALS the primary on public.transfers")
                .contains("check: follower b EQUALS the primary on public.accounts")
                .doesNotContain("DIFFERS").doesNotContain("FAILED");
        assertThat(out).as("the monitor's URLs").containsPattern("monitor  http://127\\.0\\.0\\.1:\\d+/status");
        assertThat(out).as("snapshot progress").contains("snapshot [##############################] 100%");
        assertThat(out).as("read-your-writes through a token, from the async follower")
                .containsPattern("read-your-writes: .* b applied it [0-9.]+ ms after commit; read back from follower b: demo=read-your-writes");
        assertThat(out).as("a synchronous write").containsPattern("sync write: .* QUORUM\\(1\\) and visible on sync follower a");
        java.util.regex.Matcher log = java.util.regex.Pattern.compile("log lines go to (\\S+)").matcher(out);
        assertThat(log.find()).as("the demo names its log file").isTrue();
        assertThat(java.nio.file.Path.of(log.group(1))).as("the demo's log lines, the servers' stops among them, in the file")
                .content().contains("capture stopped").contains("PostgreSQL 'primary' on port");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aDuckDbFollowerAnswersALiveAnalyticalQueryAndEqualsThePrimaryValueByValue() {
        String out = demo("--duckdb", "--duration", "6s", "--rate", "100", "--followers", "1", "--no-ui");
        String[] lines = out.strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo("demo: every follower equals the primary.");
        assertThat(out).containsPattern("analytics \\(DuckDB, live\\): [1-9][0-9]* transfers, [0-9.]+ moved; busiest sender account")
                .contains("check: DuckDB follower analytics EQUALS the primary on public.transfers")
                .contains("check: DuckDB follower analytics EQUALS the primary on public.profiles")
                .doesNotContain("DIFFERS");
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void failoverDemoKillsThePrimaryPromotesItsStandbyAndEndsWithEveryFollowerEqualToIt() {
        String out = demo("--failover", "--duration", "8s", "--rate", "100", "--followers", "1", "--no-ui");
        String[] lines = out.strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo("demo: every follower equals the new primary.");
        assertThat(out).contains("PRIMARY KILLED (SIGKILL)", "standby PROMOTED", "capture RUNNING again, on the new primary")
                .containsPattern("FAILOVER DONE: .* [0-9.]+ s after the kill")
                .contains("check: follower a EQUALS the new primary").doesNotContain("DIFFERS");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void multiLeaderDemoCutsAndHealsTheLinkAndEndsWithBothLeadersEqual() {
        String out = demo("--multi-leader", "--duration", "6s", "--rate", "100", "--no-ui");
        String[] lines = out.strip().split("\n");
        assertThat(lines[lines.length - 1]).isEqualTo("demo: both leaders equal, every conflict resolved alike on both.");
        assertThat(out).contains("LINK CUT", "LINK HEALED", "check: leader b EQUALS leader a on public.stock",
                "check: leader a EQUALS leader b on public.stock").containsPattern("conflicts at a: update_origin_differs")
                .containsPattern("rows on a: 50 shared skus, [1-9][0-9]* added by a, [1-9][0-9]* added by b")
                .doesNotContain("DIFFERS");
    }

    /** Runs {@code sluice demo} with the arguments as a newcomer would, asserts exit 0, returns what it printed. */
    private static String demo(String... args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "demo";
            System.arraycopy(args, 0, all, 1, args.length);
            code = Main.commandLine().execute(all);
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        assertThat(code).as("demo exit code; output:%n%s", out).isZero();
        return out;
    }
}
