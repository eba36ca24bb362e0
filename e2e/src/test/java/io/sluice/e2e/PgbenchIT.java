package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.Await;
import io.sluice.embedded.LocalKafka;
import io.sluice.embedded.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user tries first: {@code sluice capture} and {@code sluice apply} as processes of
 * their own (through the launcher), an empty follower, then PostgreSQL's own {@code pgbench -i}
 * (which creates its tables without keys, truncates them, fills them and adds the keys) and a
 * {@code pgbench} run. The follower ends equal to the primary. Needs the {@code pgbench} binary
 * (PostgreSQL client tools); skipped without it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PgbenchIT {

    private static final List<String> TABLES = List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history");

    @TempDir
    static Path dir;
    static LocalPostgres primary;
    static LocalPostgres follower;
    static LocalKafka kafka;

    @BeforeAll
    static void start() {
        primary = LocalPostgres.start("primary", dir);
        follower = LocalPostgres.start("follower", dir);
        kafka = LocalKafka.start(dir.resolve("kafka"));
    }

    @AfterAll
    static void stop() {
        if (follower != null) {
            follower.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void pgbenchInitAndRunThroughCaptureAndApplierProcessesLeaveTheFollowerEqual() throws Exception {
        Path pgbench = Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(p -> Path.of(p, "pgbench"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(pgbench != null, "no pgbench on PATH (PostgreSQL client tools)");
        Path config = dir.resolve("pgbench-it.properties");
        Files.writeString(config, String.join("\n",
                "source.id = bench",
                "primary.url = " + primary.jdbcUrl(), "primary.user = postgres",
                "kafka.bootstrap.servers = " + kafka.bootstrapServers(),
                "followers.a.url = " + follower.jdbcUrl(), "followers.a.user = postgres",
                "embedded.data.dir = " + dir.resolve("data"), ""));
        Launcher launcher = Launcher.in(dir);
        Process capture = launcher.start("capture", "capture running", "capture", "--config", config.toString());
        Process applier = launcher.start("apply", "applier running", "apply", "--config", config.toString(), "--follower", "a");
        try {
            run(pgbench, "pgbench-init", "-i", "-s", "2");
            run(pgbench, "pgbench-run", "-R", "300", "-T", "10", "-c", "4");
            for (String table : TABLES) {
                Await.until(Duration.ofSeconds(120), () -> "follower to equal the primary on " + table + "; applier log:\n"
                        + launcher.log("apply") + "\ncapture log:\n" + launcher.log("capture"),
                        () -> primary.rowsAsText(table).equals(follower.rowsAsText(table)));
            }
            assertThat(capture.isAlive()).as("capture still runs").isTrue();
            assertThat(applier.isAlive()).as("the applier still runs").isTrue();
        } finally {
            capture.destroy();
            applier.destroy();
            capture.waitFor(30, TimeUnit.SECONDS);
            applier.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void run(Path pgbench, String name, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(pgbench.toString(), "-h", "127.0.0.1", "-p",
                String.valueOf(primary.port()), "-U", "postgres"));
        command.addAll(List.of(args));
        command.add("postgres");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(name + " finished").isTrue();
        assertThat(p.exitValue()).as(name + " exit status; its output:\n" + Files.readString(dir.resolve(name + ".log"))).isZero();
    }
}
