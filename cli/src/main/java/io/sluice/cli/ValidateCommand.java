package io.sluice.cli;

import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sluice validate FILE}: checks a configuration file and lists every problem. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a configuration file; print every problem as key=value: reason. Exit 0 when valid, 2 when not.")
final class ValidateCommand implements Callable<Integer> {

    @Parameters(paramLabel = "CONFIG", description = "the configuration file (properties syntax)")
    Path config;

    @Override
    public Integer call() {
        try {
            SluiceConfig parsed = new ConfigParser().parse(config);
            System.out.printf("%s is valid: source '%s', %d follower(s) %s%n", config, parsed.sourceId(),
                    parsed.followers().size(), parsed.followers().keySet());
            return 0;
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
    }
}
