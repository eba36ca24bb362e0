package io.sluice.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM a benchmark starts for a Sluice process of its own: this JVM's java,
 * class path and options (without a flight recording or a class-data archive being written, which
 * belong to this process), plus the options in an environment variable for that child alone (a
 * flight recording, JIT flags).
 */
final class ChildJvm {

    private ChildJvm() {
    }

    static List<String> command(String optionsVariable, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> own = options(optionsVariable);
        // JDK 17 crashes loading a class from a mapped class-data archive while a flight recording runs.
        boolean recording = own.stream().anyMatch(o -> o.startsWith("-XX:StartFlightRecording"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-XX:StartFlightRecording") && !a.startsWith("-XX:ArchiveClassesAtExit"))
                .filter(a -> !(recording && a.startsWith("-XX:SharedArchiveFile")))
                .forEach(command::add);
        command.addAll(own);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** The JVM options an environment variable holds, split at whitespace; none when it is unset or blank. */
    static List<String> options(String variable) {
        String extra = System.getenv(variable);
        return extra == null || extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
    }
}
