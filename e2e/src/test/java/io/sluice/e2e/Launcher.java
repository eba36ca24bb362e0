package io.sluice.e2e;

import io.sluice.embedded.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code ./sluice} launcher as a user runs it, from a root of its own: a copy of the script
 * beside the CLI jar and libraries this build made (with an up-to-date build stamp), so it never
 * rebuilds and its class-data archive is its own.
 */
final class Launcher {

    private final Path root;
    private final Path logs;

    private Launcher(Path root, Path logs) {
        this.root = root;
        this.logs = logs;
    }

    static Launcher in(Path dir) throws IOException {
        Path at = dir.resolve("root");
        Path built = Path.of("..").toAbsolutePath().normalize();
        Path lib = Files.createDirectories(at.resolve("cli/target/lib"));
        Files.createSymbolicLink(at.resolve("cli/target/sluice-cli.jar"), built.resolve("cli/target/sluice-cli.jar"));
        try (Stream<Path> jars = Files.list(built.resolve("cli/target/lib"))) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
            }
        }
        Files.createFile(lib.resolve(".built"));
        Path script = Files.copy(built.resolve("sluice"), at.resolve("sluice"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Launcher(at, dir);
    }

    /** Starts {@code sluice <args>}, its output in {@code <run>.log}, and waits until the log shows {@code ready}. */
    Process start(String run, String ready, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("sluice").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logs.resolve(run + ".log").toFile());
        pb.environment().put("SLUICE_JAVA_OPTS", "-Xmx256m");
        Process p = pb.start();
        Await.until(Duration.ofSeconds(90), () -> run + " to show '" + ready + "'; its log:\n" + log(run), () -> {
            if (!p.isAlive()) {
                throw new AssertionError("the launcher ended with " + p.exitValue() + "; its log:\n" + log(run));
            }
            return log(run).contains(ready);
        });
        return p;
    }

    String log(String run) {
        try {
            return Files.readString(logs.resolve(run + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
