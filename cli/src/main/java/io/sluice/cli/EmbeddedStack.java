package io.sluice.cli;

import io.sluice.cli.config.SluiceConfig;
import io.sluice.embedded.DirectoryTree;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded servers a configuration asks for: the primary, Kafka and each follower whose
 * endpoint is {@code embedded}, started fresh under {@code <embedded.data.dir>/run}. Closing
 * stops them all, in reverse order of start.
 */
public final class EmbeddedStack implements AutoCloseable {

    private final List<AutoCloseable> started = new ArrayList<>();
    private final Path runDirectory;
    private LocalPostgres primary;
    private LocalKafka kafka;
    private final Map<String, LocalPostgres> followers = new LinkedHashMap<>();

    private EmbeddedStack(Path runDirectory) {
        this.runDirectory = runDirectory;
    }

    /** Starts every embedded endpoint of {@code config}; on failure stops what had started. */
    public static EmbeddedStack start(SluiceConfig config) {
        Path root = config.embedded().dataDirectory().resolve("run");
        deleteTree(root);
        EmbeddedStack stack = new EmbeddedStack(root);
        try {
            if (config.primary().embedded()) {
                stack.primary = stack.track(LocalPostgres.start("primary", root));
                stack.primary.createDatabase(config.primaryDatabase());
            }
            if (config.kafka().embedded()) {
                stack.kafka = stack.track(LocalKafka.start(root.resolve("kafka")));
            }
            for (SluiceConfig.Follower f : config.followers().values()) {
                if (f.isDatabase() && f.endpoint().embedded()) {
                    LocalPostgres pg = stack.track(LocalPostgres.start("follower-" + f.name(), root));
                    pg.createDatabase(f.database());
                    stack.followers.put(f.name(), pg);
                }
            }
            return stack;
        } catch (RuntimeException | java.sql.SQLException e) {
            stack.close();
            throw e instanceof RuntimeException re ? re : new IllegalStateException("starting the embedded stack", e);
        }
    }

    /** Only Kafka, for a demo that starts primaries of its own ({@link #start(LocalPostgres.Builder)}). */
    public static EmbeddedStack kafkaOnly(Path dataDirectory) {
        Path root = dataDirectory.resolve("run");
        deleteTree(root);
        EmbeddedStack stack = new EmbeddedStack(root);
        stack.kafka = stack.track(LocalKafka.start(root.resolve("kafka")));
        return stack;
    }

    /** A server of the caller's, its data under this run's directory, stopped with the stack. */
    public LocalPostgres start(LocalPostgres.Builder server, String name) {
        return track(server.dataDirectory(runDirectory.resolve(name)).start());
    }

    private <T extends AutoCloseable> T track(T server) {
        started.add(server);
        return server;
    }

    /** Where this run keeps its data (cleared at start); processes of the run put their state below it. */
    public Path runDirectory() {
        return runDirectory;
    }

    /** The embedded primary, or null when the primary is external. */
    public LocalPostgres primary() {
        return primary;
    }

    /** The embedded broker, or null when Kafka is external. */
    public LocalKafka kafka() {
        return kafka;
    }

    /** The embedded followers by name. */
    public Map<String, LocalPostgres> followers() {
        return followers;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("stopping the embedded stack", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }

    private static void deleteTree(Path root) {
        try {
            DirectoryTree.delete(root);
        } catch (IOException e) {
            throw new UncheckedIOException("clearing the embedded data directory " + root, e);
        }
    }
}
