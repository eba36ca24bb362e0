package io.sluice.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A {@link LocalKafka} broker in a JVM of its own, as a deployment runs Kafka: its threads, heap
 * and JIT compiler apart from the process that uses it, so a measurement of that process is of
 * Sluice alone and the broker can stay up, warm, across several runs. The child writes its
 * bootstrap address to {@code ready} in the log directory once it serves, and stops when its
 * standard input closes ({@link #close()}) — or with its parent, whose end closes that input too.
 */
public final class KafkaProcess implements AutoCloseable {

    private final Process process;
    private final String bootstrapServers;

    private KafkaProcess(Process process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts the broker with a fresh log directory; its output goes to {@code broker.log} there. */
    public static KafkaProcess start(Path logDirectory, List<String> jvmOptions) {
        try {
            Files.createDirectories(logDirectory);
            Path ready = logDirectory.resolve("ready");
            Files.deleteIfExists(ready);
            List<String> command = new java.util.ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), KafkaProcess.class.getName(),
                    logDirectory.toString()));
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(logDirectory.resolve("broker.log").toFile()).start();
            Await.until(Duration.ofSeconds(90), () -> "the broker process to serve; its log: " + logDirectory.resolve("broker.log"),
                    () -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("the broker process exited with " + p.exitValue() + "; its log: "
                                    + logDirectory.resolve("broker.log"));
                        }
                        return Files.exists(ready);
                    });
            return new KafkaProcess(p, Files.readString(ready, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("starting a broker process in " + logDirectory, e);
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        Lifeline.end(process);
    }

    /** The child: serves until its standard input ends. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (LocalKafka kafka = LocalKafka.start(dir.resolve("broker"))) {
            Path tmp = dir.resolve("ready.tmp");
            Files.writeString(tmp, kafka.bootstrapServers(), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve("ready"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            while (System.in.read() >= 0) {
                // wait for the parent to close our input
            }
        }
        System.exit(0);
    }
}
