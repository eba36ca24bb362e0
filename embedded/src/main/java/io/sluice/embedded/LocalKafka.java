package io.sluice.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker in KRaft mode (combined broker and controller) running inside this
 * JVM, from the {@code kafka_2.13} artifact. The log directory is formatted on first start and
 * kept across restarts when the same directory and ports are given.
 *
 * <p>Internal topics use replication factor 1. Thread-safe; {@link #close()} shuts the broker
 * down cleanly and is idempotent.
 */
public final class LocalKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalKafka.class);
    private static final String CLUSTER_ID = "c2x1aWNlLWxvY2FsLWthZmthMQ"; // fixed, so a kept directory restarts

    private final KafkaRaftServer server;
    private final int brokerPort;
    private final int controllerPort;
    private final Path logDirectory;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalKafka(KafkaRaftServer server, int brokerPort, int controllerPort, Path logDirectory) {
        this.server = server;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.logDirectory = logDirectory;
    }

    /** Starts a broker with a fresh log directory on free ports. */
    public static LocalKafka start(Path logDirectory) {
        return builder().logDirectory(logDirectory).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of one broker. */
    public static final class Builder {
        private Path logDirectory;
        private int brokerPort;
        private int controllerPort;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder logDirectory(Path dir) {
            this.logDirectory = dir;
            return this;
        }

        /** Fixed ports, to restart on the same address; 0 (the default) picks free ones. */
        public Builder ports(int broker, int controller) {
            this.brokerPort = broker;
            this.controllerPort = controller;
            return this;
        }

        /** Any broker setting. */
        public Builder setting(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public LocalKafka start() {
            Objects.requireNonNull(logDirectory, "logDirectory is required");
            int[] free = FreePorts.pick(2);
            int broker = brokerPort == 0 ? free[0] : brokerPort;
            int controller = controllerPort == 0 ? free[1] : controllerPort;
            try {
                Files.createDirectories(logDirectory);
                Map<String, String> props = properties(broker, controller, logDirectory.resolve("data"));
                props.putAll(overrides);
                format(props, logDirectory);
                long t0 = System.nanoTime();
                KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
                server.startup();
                log.info("Kafka up on 127.0.0.1:{} in {} ms (log {})", broker, (System.nanoTime() - t0) / 1_000_000,
                        logDirectory);
                return new LocalKafka(server, broker, controller, logDirectory);
            } catch (IOException e) {
                throw new UncheckedIOException("starting Kafka in " + logDirectory, e);
            }
        }
    }

    private static Map<String, String> properties(int broker, int controller, Path data) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + broker + ",CONTROLLER://127.0.0.1:" + controller);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + broker);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", data.toString());
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner takes 128 MiB of heap by default; the stream topic is not compacted.
        p.put("log.cleaner.dedupe.buffer.size", "4194304");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        return p;
    }

    private static void format(Map<String, String> props, Path logDirectory) throws IOException {
        Path config = logDirectory.resolve("server.properties");
        Properties file = new Properties();
        file.putAll(props);
        try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
            file.store(w, "written by Sluice's LocalKafka");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code = StorageTool.execute(new String[] {"format", "--cluster-id", CLUSTER_ID, "--config", config.toString(),
                    "--ignore-formatted"}, ps);
        } catch (RuntimeException e) {
            throw new IllegalStateException("formatting the Kafka log directory " + logDirectory + " failed: "
                    + out.toString(StandardCharsets.UTF_8), e);
        }
        if (code != 0) {
            throw new IllegalStateException("formatting the Kafka log directory " + logDirectory + " failed (exit "
                    + code + "): " + out.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * Deletes the topics a stopped broker of {@code logDirectory} left (its {@code data}), keeping its
     * {@code server.properties}: for a scratch broker whose topics nothing reads again. Nothing to do
     * where there are none.
     */
    public static void deleteData(Path logDirectory) throws IOException {
        DirectoryTree.delete(logDirectory.resolve("data"));
    }

    /** Whether {@code directory} is the log directory of a broker this class started (it holds its {@code server.properties}). */
    public static boolean isLogDirectory(Path directory) {
        return Files.isRegularFile(directory.resolve("server.properties"));
    }

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public int brokerPort() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public Path logDirectory() {
        return logDirectory;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        log.info("Kafka on 127.0.0.1:{} stopped", brokerPort);
    }
}
