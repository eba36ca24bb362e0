package io.sluice.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParserTest {

    private final ConfigParser parser = new ConfigParser(Map.of("PG_PASS", "s3cr3t-env", "JAAS", "jaas-s3cr3t")::get);

    private SluiceConfig parse(String... kv) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return parser.parse(m, "test.properties");
    }

    @Test
    void shouldUseDocumentedDefaultsForAnEmptyFile() {
        SluiceConfig c = parse();
        assertThat(c.sourceId()).isEqualTo(ConfigParser.DEFAULT_SOURCE_ID);
        assertThat(c.primary().embedded()).isTrue();
        assertThat(c.kafka().embedded()).isTrue();
        assertThat(c.capture().slotName()).isEqualTo("sluice_app");
        assertThat(c.capture().heartbeatInterval()).isEqualTo(ConfigParser.DEFAULT_HEARTBEAT);
        assertThat(c.monitor().httpHost()).isEqualTo("127.0.0.1");
        assertThat(c.followers()).isEmpty();
    }

    @Test
    void shouldParseFollowersTablesAndPassThrough() {
        SluiceConfig c = parse(
                "source.id", "shop",
                "capture.tables", "public.accounts, public.transfers",
                "capture.heartbeat.interval.ms", "2500",
                "followers.east.url", "jdbc:postgresql://db-east:5432/shop",
                "followers.east.user", "sluice",
                "followers.east.password", "${env:PG_PASS}",
                "followers.east.ssl.mode", "require",
                "followers.east.mode", "sync",
                "followers.west.mode", "async",
                "debezium.slot.max.retries", "3");
        assertThat(c.capture().tables()).containsExactly("public.accounts", "public.transfers");
        assertThat(c.capture().heartbeatInterval()).isEqualTo(Duration.ofMillis(2500));
        assertThat(c.followers()).containsOnlyKeys("east", "west");
        SluiceConfig.Follower east = c.followers().get("east");
        assertThat(east.mode()).isEqualTo(SluiceConfig.Mode.SYNC);
        assertThat(east.endpoint().driverProperties())
                .containsEntry("password", "s3cr3t-env")
                .containsEntry("sslmode", "require")
                .containsEntry("user", "sluice");
        assertThat(c.followers().get("west").endpoint().embedded()).isTrue();
        assertThat(c.debezium()).containsEntry("slot.max.retries", "3");
    }

    @Test
    void shouldNameEveryMistakeWithKeyValueAndReason() {
        assertThatThrownBy(() -> parse(
                "source.id", "Shop-1",
                "capture.heartbeat.interval.ms", "-5",
                "followers.east.mode", "semi",
                "capture.tabels", "public.t"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "source.id=Shop-1: use 1-63 lower-case letters, digits or '_', starting with a letter",
                        "capture.heartbeat.interval.ms=-5: a duration cannot be negative",
                        "followers.east.mode=semi: expected one of [sync, async]",
                        "capture.tabels=public.t: unknown key (see docs/configuration.md for every key)"))
                .hasMessageStartingWith("4 configuration problems in test.properties:");
    }

    @Test
    void shouldNeverShowASecretInErrorsOrToString() {
        SluiceConfig c = parse("primary.url", "jdbc:postgresql://db/x", "primary.password", "hunter2-literal",
                "kafka.bootstrap.servers", "k1:9092", "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "PLAIN", "kafka.sasl.jaas.config", "${env:JAAS}");
        assertThat(c.toString()).doesNotContain("hunter2-literal").doesNotContain("jaas-s3cr3t");
        assertThat(c.kafka().clientProperties("k1:9092")).containsEntry("sasl.jaas.config", "jaas-s3cr3t");

        assertThatThrownBy(() -> parse("primary.url", "jdbc:postgresql://db/x", "primary.password", "${env:MISSING}",
                "primary.pasword", "hunter2-typo"))
                .hasMessageContaining("primary.password=${env:MISSING}: environment variable MISSING is not set")
                .hasMessageContaining("primary.pasword=****: unknown key")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void shouldReadSecretFromFileReference(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pw");
        Files.writeString(secret, "from-file\n");
        SluiceConfig c = parse("primary.url", "jdbc:postgresql://db/x", "primary.password", "${file:" + secret + "}");
        assertThat(c.primary().password()).get().extracting(Secret::reveal).isEqualTo("from-file");
        assertThat(c.primary().password().get().toString()).doesNotContain("from-file");
    }

    @Test
    void shouldRejectSettingsAnEmbeddedServerCannotTake() {
        assertThatThrownBy(() -> parse("primary.user", "bob", "kafka.security.protocol", "SSL"))
                .hasMessageContaining("primary.url=embedded: an embedded server takes no user")
                .hasMessageContaining("kafka.bootstrap.servers=embedded: the embedded broker is PLAINTEXT");
    }

    @Test
    void shouldReadAPropertiesFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sluice.properties");
        Files.writeString(file, "# comment\nsource.id = shop\nfollowers.a.mode = sync\n");
        assertThat(parser.parse(file).sourceId()).isEqualTo("shop");
        assertThatThrownBy(() -> parser.parse(dir.resolve("missing.properties")))
                .hasMessageContaining("cannot read the file");
    }
}
