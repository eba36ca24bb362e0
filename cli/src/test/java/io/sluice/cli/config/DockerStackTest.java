package io.sluice.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The docker/ stack checked statically (no Docker engine here): see {@link DockerStackCheck}. */
class DockerStackTest {

    private static final Path DOCKER = Path.of("..", "docker");

    @Test
    void theShippedStackIsConsistent() throws IOException {
        assertThat(new DockerStackCheck(DOCKER).run()).isEmpty();
    }

    @Test
    void aBrokenCopyIsCaughtNamingTheFileAndTheProblem(@TempDir Path tmp) throws IOException {
        Path repo = tmp.resolve("repo");
        copy(DOCKER, repo.resolve("docker"));
        copy(Path.of("..", "docs"), repo.resolve("docs"));
        Files.writeString(repo.resolve("docker/sluice/sluice.properties"),
                "monitor.default.warn.ms = 20000\nfollowers.a.mdoe = sync\n", StandardOpenOption.APPEND);
        Path compose = repo.resolve("docker/compose.yaml");
        Files.writeString(compose, Files.readString(compose)
                .replace("\"--follower\", \"b\"]", "\"--follower\", \"c\"]")
                .replace("./prometheus/monitor-token:", "./prometheus/missing-token:"));
        Path dashboard = repo.resolve("docker/grafana/dashboards/sluice.json");
        Files.writeString(dashboard, Files.readString(dashboard).replace("sluice_follower_staleness_seconds",
                "sluice_follower_lateness_seconds"));
        List<String> problems = new DockerStackCheck(repo.resolve("docker")).run();
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("sluice/sluice.properties: monitor.default.warn.ms=20000:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("sluice/sluice.properties: followers.a.mdoe=sync: unknown key"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("service applier-b: --follower c is not in"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("service prometheus: mounted ./prometheus/missing-token does not exist"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("uses sluice_follower_lateness_seconds, which is not a documented"));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
