package io.sluice.cli;

import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.SluiceConfig;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice up}: starts the embedded primary, Kafka and followers, prints their connection
 * URLs and keeps them running until Ctrl-C, which stops them all.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded primary, Kafka and followers, print their URLs, and run until Ctrl-C.")
public final class UpCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "configuration file; without one: a primary, Kafka and followers a and b")
    Path config;

    @Option(names = "--followers", paramLabel = "N", defaultValue = "2",
            description = "embedded followers to start when no --config is given (default: ${DEFAULT-VALUE})")
    int followerCount;

    @Override
    public Integer call() throws Exception {
        SluiceConfig cfg;
        try {
            cfg = config != null ? new ConfigParser().parse(config) : defaultConfig(followerCount);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        EmbeddedStack stack = EmbeddedStack.start(cfg);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.out.println("stopping embedded servers ...");
            stack.close();
            System.out.println("stopped.");
            stopped.countDown();
        }, "sluice-up-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        print(cfg, stack);
        System.out.println("Press Ctrl-C to stop everything.");
        stopped.await();
        return 0;
    }

    public static SluiceConfig defaultConfig(int followers) {
        Map<String, String> keys = new TreeMap<>();
        for (int i = 0; i < followers; i++) {
            keys.put("followers." + (char) ('a' + i) + ".mode", i == 0 ? "sync" : "async");
        }
        return new ConfigParser().parse(keys, "the built-in default");
    }

    private static void print(SluiceConfig cfg, EmbeddedStack stack) {
        System.out.println("Sluice embedded stack is up:");
        if (stack.primary() != null) {
            System.out.printf("  primary   %s%n", stack.primary().jdbcUrl(cfg.primaryDatabase()));
        }
        if (stack.kafka() != null) {
            System.out.printf("  kafka     bootstrap.servers=%s%n", stack.kafka().bootstrapServers());
        }
        for (Map.Entry<String, LocalPostgres> f : stack.followers().entrySet()) {
            SluiceConfig.Follower fc = cfg.followers().get(f.getKey());
            System.out.printf("  follower  %-10s %-5s %s%n", f.getKey(), fc.mode().name().toLowerCase(),
                    f.getValue().jdbcUrl(fc.database()));
        }
        System.out.printf("  psql:     psql -h 127.0.0.1 -p %d -U postgres%n",
                stack.primary() != null ? stack.primary().port() : 5432);
    }
}
