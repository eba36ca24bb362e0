package io.sluice.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: the whole pipeline on the embedded default. Until capture and apply are
 * wired into it, it starts the embedded stack as {@code up} does and says so.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run Sluice on embedded servers. For now: starts the embedded stack (as 'up') until Ctrl-C.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--followers", paramLabel = "N", defaultValue = "2", description = "embedded followers (default: ${DEFAULT-VALUE})")
    int followers;

    @Override
    public Integer call() throws Exception {
        System.out.println("sluice demo: the live pipeline view is not built yet; starting the embedded stack as 'sluice up'.");
        UpCommand up = new UpCommand();
        up.followerCount = followers;
        return up.call();
    }
}
