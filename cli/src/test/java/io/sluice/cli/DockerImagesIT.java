package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * With a Docker engine: the compose file's primary and follower images start as configured
 * (the primary with {@code wal_level=logical}). Without one (as on the build machines) it is
 * skipped; the static {@code DockerStackTest} covers the stack there.
 */
class DockerImagesIT {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) throws Exception {
        Map<String, Object> compose = new org.yaml.snakeyaml.Yaml().load(Files.readString(Path.of("..", "docker", "compose.yaml")));
        return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
    }

    @Test
    @SuppressWarnings("unchecked")
    void primaryAndFollowerStartFromTheComposeImages() throws Exception {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(), "no Docker engine on this machine");
        Map<String, Object> primary = service("primary");
        Map<String, Object> follower = service("follower-a");
        try (GenericContainer<?> p = postgres((String) primary.get("image"), (List<String>) primary.get("command"));
             GenericContainer<?> f = postgres((String) follower.get("image"), null)) {
            p.start();
            f.start();
            assertThat(show(p, "wal_level")).isEqualTo("logical");
            assertThat(show(f, "server_version_num")).startsWith("17");
        }
    }

    private static GenericContainer<?> postgres(String image, List<String> command) {
        GenericContainer<?> c = new GenericContainer<>(image).withEnv("POSTGRES_PASSWORD", "sluice").withExposedPorts(5432)
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)
                        .withStartupTimeout(Duration.ofMinutes(2)));
        if (command != null) {
            c.withCommand(command.toArray(String[]::new));
        }
        return c;
    }

    private static String show(GenericContainer<?> c, String setting) throws Exception {
        try (Connection conn = DriverManager.getConnection("jdbc:postgresql://" + c.getHost() + ":" + c.getMappedPort(5432)
                + "/postgres", "postgres", "sluice"); ResultSet rs = conn.createStatement().executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
