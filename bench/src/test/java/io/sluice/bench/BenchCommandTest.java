package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Each scenario is a subcommand that knows only its own options. */
class BenchCommandTest {

    /** Every option a scenario has (besides --help and --version); nothing else may appear in its help. */
    private static final Map<String, List<String>> OPTIONS = Map.ofEntries(
            Map.entry("catchup", List.of("--engine", "--scale", "--repeat", "--no-warmup", "--out")),
            Map.entry("steady", List.of("--engine", "--rates", "--seconds", "--repeat", "--no-warmup", "--warmup-seconds", "--settle-seconds", "--out")),
            Map.entry("snapshot", List.of("--engine", "--accounts", "--repeat", "--out")),
            Map.entry("apply", List.of("--engine", "--transactions", "--accounts", "--kind", "--passes")),
            Map.entry("capture", List.of("--engine", "--transactions", "--rows", "--rate", "--seconds")),
            Map.entry("bigtxn", List.of("--engine", "--rows")),
            Map.entry("consistency", List.of("--engine", "--writes", "--seconds", "--no-warmup", "--warmup-seconds")),
            Map.entry("durability", List.of("--engine", "--writes")),
            Map.entry("monitor", List.of("--engine", "--followers", "--rate", "--seconds")),
            Map.entry("multileader", List.of("--engine", "--rows", "--transactions")),
            Map.entry("ddl", List.of("--engine", "--existing", "--tables")));

    private static final List<String> EVERY = OPTIONS.values().stream().flatMap(List::stream).distinct().toList();

    @Test
    void eachScenarioHelpShowsOnlyItsOwnOptions() {
        CommandLine bench = new CommandLine(BenchCommand.class);
        assertThat(bench.getSubcommands().keySet()).containsAll(OPTIONS.keySet()).contains("ryw");
        for (Map.Entry<String, List<String>> e : OPTIONS.entrySet()) {
            StringWriter out = new StringWriter();
            CommandLine cmd = new CommandLine(BenchCommand.class);
            cmd.setOut(new PrintWriter(out));
            assertThat(cmd.execute(e.getKey(), "--help")).isZero();
            String help = out.toString();
            for (String option : EVERY) {
                String named = "(?<![-\\w])" + option + "(?![-\\w])";
                if (e.getValue().contains(option)) {
                    assertThat(help).as(e.getKey() + " --help").containsPattern(named);
                } else {
                    assertThat(help).as(e.getKey() + " --help must not offer " + option).doesNotContainPattern(named);
                }
            }
        }
    }

    @Test
    void anotherScenariosOptionIsRefusedBeforeAnythingStarts() {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(BenchCommand.class);
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("apply", "--scale", "large")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option", "--scale");
    }

    @Test
    void aBadValueIsRefusedNamingTheOption() {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(BenchCommand.class);
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("catchup", "--scale", "huge")).isEqualTo(2);
        assertThat(err.toString()).contains("--scale huge", "tiny, small, medium or large");
        err.getBuffer().setLength(0);
        assertThat(cmd.execute("catchup", "--repeat", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--repeat must be at least 1");
    }
}
