package io.sluice.cli;

import io.sluice.bench.BenchCommand;
import io.sluice.cli.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0-SNAPSHOT",
        description = "Change-data-capture from PostgreSQL through Kafka to follower stores.",
        subcommands = {DemoCommand.class, UpCommand.class, CaptureCommand.class, ApplyCommand.class, MonitorCommand.class, StatusCommand.class, VerifyCommand.class, RejoinCommand.class, PromoteCommand.class, BenchCommand.class, ValidateCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests and embedding call it instead of {@link #main}). */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
