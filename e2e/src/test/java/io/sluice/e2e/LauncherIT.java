package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./sluice} launcher as a supervisor uses it: signals for the launcher's pid reach the
 * JVM (it is the JVM: the launcher execs Java), so SIGKILL leaves no JVM behind — on a run that
 * records the class-data archive and on one that maps it — and SIGTERM ends capture within the
 * shutdown bound even while the primary does not answer.
 *
 * <p>The launcher runs from a root of its own ({@link Launcher}), so its archive is its own.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LauncherIT {

    @TempDir
    static Path dir;
    static LocalPostgres primary;
    static LocalKafka kafka;
    static TcpProxy primaryProxy;
    static Launcher launcher;
    static Path config;

    @BeforeAll
    static void start() throws Exception {
        primary = LocalPostgres.start("primary", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
        primaryProxy = new TcpProxy("127.0.0.1", primary.port());
        primary.execute("CREATE TABLE launched (id serial PRIMARY KEY, v int)");
        launcher = Launcher.in(dir);
        config = dir.resolve("launcher-it.properties");
        Files.writeString(config, String.join("\n",
                "source.id = launched",
                "primary.url = jdbc:postgresql://127.0.0.1:" + primaryProxy.port() + "/postgres",
                "primary.user = postgres",
                "kafka.bootstrap.servers = " + kafka.bootstrapServers(),
                "capture.snapshot.mode = never",
                "capture.heartbeat.interval.ms = 500",
                "embedded.data.dir = " + dir.resolve("data"), ""));
    }

    @AfterAll
    static void stop() throws Exception {
        if (primaryProxy != null) {
            primaryProxy.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void aKilledLauncherLeavesNoJvmBehindWhetherItRecordsOrMapsTheArchive() throws Exception {
        // 1. No archive yet: this run records one. SIGKILL mid-run.
        Process recording = launchCapture("record-killed");
        assertThat(commandLine(recording.pid())).as("the launcher's pid is the JVM recording the archive")
                .contains("java").contains("-XX:ArchiveClassesAtExit=");
        recording.destroyForcibly();
        assertNoJvmLeft(recording);

        // 2. A run that serves for over 10 s and ends on SIGTERM writes its archive...
        Process served = launchCapture("record-kept");
        long launched = System.nanoTime();
        Await.until(Duration.ofSeconds(60), () -> "the recording run to have served 11 s",
                () -> System.nanoTime() - launched > Duration.ofSeconds(11).toNanos());
        served.destroy();
        assertThat(served.waitFor(30, TimeUnit.SECONDS)).as("SIGTERM ended the recording run").isTrue();

        // 3. ...which the next launch adopts and maps. SIGKILL mid-run.
        Process mapping = launchCapture("map-killed");
        assertThat(commandLine(mapping.pid())).as("the launcher's pid is the JVM mapping the archive")
                .contains("java").contains("-XX:SharedArchiveFile=");
        mapping.destroyForcibly();
        assertNoJvmLeft(mapping);
    }

    @Test
    void sigtermWithThePrimaryUnreachableEndsCaptureWithinTheBound() throws Exception {
        Process capture = launchCapture("unreachable");
        primaryProxy.blackhole(true);
        try {
            long signalled = System.nanoTime();
            capture.destroy();
            // The bound is the product's promise (10 s), plus the JVM's own exit. Without it this
            // capture took 13.4 s to close (Debezium's engine waiting on the silent connection).
            boolean ended = capture.waitFor(12, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - signalled) / 1_000_000;
            System.out.println("SIGTERM -> exit with the primary unreachable: " + tookMs + " ms");
            assertThat(ended).as("capture ended within the 10 s shutdown bound after SIGTERM; its log:\n%s",
                    log("unreachable")).isTrue();
            assertThat(capture.exitValue()).as("exit status").isIn(0, 143);
        } finally {
            primaryProxy.blackhole(false);
            capture.destroyForcibly();
        }
    }

    /** Starts {@code sluice capture} through the launcher and waits until it runs. */
    private static Process launchCapture(String run) throws Exception {
        return launcher.start(run, "capture running", "capture", "--config", config.toString());
    }

    private static String log(String run) {
        return launcher.log(run);
    }

    private static void assertNoJvmLeft(Process launcher) throws Exception {
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).as("SIGKILL ended the launcher").isTrue();
        Await.until(Duration.ofSeconds(10), () -> "no process running with " + config, () -> processesWithConfig().isEmpty());
    }

    /** Every process whose command line names this test's configuration file. */
    private static List<String> processesWithConfig() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String cmd = commandLine(Long.parseLong(p.getFileName().toString()));
                if (cmd.contains(config.toString())) {
                    found.add(p.getFileName() + ": " + cmd);
                }
            }
        }
        return found;
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"))).replace('\0', ' ');
        } catch (IOException gone) {
            return "";
        }
    }
}
