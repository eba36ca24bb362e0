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
    void failoverSettingsDefaultToAFailoverSlotAndAMinuteOfReconnecting() {
        assertThat(parse().capture().failover()).isEqualTo(new io.sluice.capture.CaptureConfig.Failover(true, Duration.ofSeconds(60)));
        assertThat(parse("capture.slot.failover", "false", "capture.reconnect.timeout.ms", "0").capture().failover())
                .isEqualTo(new io.sluice.capture.CaptureConfig.Failover(false, Duration.ZERO));
        assertThatThrownBy(() -> parse("capture.reconnect.timeout.ms", "-1"))
                .hasMessageContaining("capture.reconnect.timeout.ms=-1: a duration cannot be negative");
    }

    @Test
    void aFollowerOfKindTopicsHasNoDatabaseAndIsNeverSynchronous() {
        SluiceConfig c = parse("followers.feed.kind", "topics", "followers.east.url", "jdbc:postgresql://east:5432/shop");
        assertThat(c.followers().get("feed").kind()).isEqualTo(io.sluice.applier.ApplierConfig.Kind.TOPICS);
        assertThat(c.followers().get("feed").isDatabase()).isFalse();
        assertThat(c.followers().get("east").isDatabase()).isTrue();
        assertThatThrownBy(() -> parse("followers.feed.kind", "topics", "followers.feed.url", "jdbc:postgresql://x/y",
                "followers.feed.password", "hunter2", "followers.feed.mode", "sync"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("followers.feed.url=jdbc:postgresql://x/y: a follower of kind topics writes to the source's Kafka")
                .hasMessageContaining("followers.feed.password=***")
                .hasMessageContaining("followers.feed.mode=sync: a synchronous follower is a PostgreSQL database a client reads from")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        assertThatThrownBy(() -> parse("followers.feed.kind", "parquet")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("followers.feed.kind=parquet: expected one of [postgresql, topics, duckdb]");
    }

    @Test
    void aFollowerOfKindDuckdbIsAFile() {
        SluiceConfig c = parse("followers.olap.kind", "duckdb", "followers.olap.file", "olap.duckdb");
        assertThat(c.followers().get("olap").file()).isEqualTo(java.nio.file.Path.of("olap.duckdb").toAbsolutePath());
        assertThat(c.followers().get("olap").isDatabase()).isFalse();
        assertThatThrownBy(() -> parse("followers.olap.kind", "duckdb", "followers.olap.url", "jdbc:postgresql://x/y",
                "followers.olap.mode", "sync", "followers.east.file", "x.duckdb"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("followers.olap.file=: a follower of kind duckdb needs the path of its database file")
                .hasMessageContaining("followers.olap.url=jdbc:postgresql://x/y: a follower of kind duckdb is a file")
                .hasMessageContaining("followers.olap.mode=sync: a synchronous follower is a PostgreSQL database")
                .hasMessageContaining("followers.east.file=x.duckdb: only a follower of kind duckdb is a file");
        assertThatThrownBy(() -> parse("followers.olap.kind", "duckdb", "followers.olap.file", "o.duckdb", "capture.snapshot.direct", "olap"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'olap' is of kind duckdb: a direct snapshot copies into a PostgreSQL follower");
    }

    @Test
    void directSnapshotFollowersMustBeConfiguredFollowers() {
        SluiceConfig c = parse("followers.east.mode", "async", "followers.west.mode", "async", "capture.snapshot.direct", "east");
        assertThat(c.capture().directSnapshot()).containsExactly("east");
        assertThatThrownBy(() -> parse("followers.east.mode", "async", "capture.snapshot.direct", "east, north"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "capture.snapshot.direct=east,north: 'north' is not a configured follower (configured: [east])"));
    }

    @Test
    void aLeaderFollowerNamesItsResolverAndCaptureSendsOnlyLocalChanges() {
        SluiceConfig c = parse("capture.origin", "local", "followers.b.url", "jdbc:postgresql://pg-b/app",
                "followers.b.conflicts", "merge_columns");
        assertThat(c.capture().origins()).isEqualTo(io.sluice.capture.CaptureConfig.Origins.LOCAL);
        assertThat(c.followers().get("b").conflicts()).isSameAs(io.sluice.applier.ConflictResolver.MERGE_COLUMNS);
        assertThat(parse("followers.b.url", "jdbc:postgresql://pg-b/app").followers().get("b").conflicts()).isNull();
        assertThatThrownBy(() -> parse("capture.origin", "local", "capture.engine", "debezium", "followers.b.conflicts", "newest",
                "followers.c.kind", "topics", "followers.c.conflicts", "last_writer_wins", "followers.d.mode", "sync",
                "followers.d.conflicts", "keep_both", "capture.tables", "sluice.watermark"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).contains(
                        "capture.origin=local: needs capture.engine = pgoutput: Debezium's connector sends changes of every origin",
                        "followers.b.conflicts=newest: expected none, last_writer_wins, keep_both, merge_columns or class:<name>",
                        "followers.c.conflicts=last_writer_wins: only a PostgreSQL follower can be a leader with writers of its own",
                        "followers.d.mode=sync: a leader with writers of its own is not a synchronous follower of this primary",
                        "capture.tables=sluice.watermark: schema sluice is Sluice's own (appliers' and capture's bookkeeping) and never captured"));
    }

    @Test
    void aBacklogIsReadThroughSqlUnlessTheWalsenderIsAskedFor() {
        assertThat(parse().capture().catchUp()).isEqualTo(io.sluice.capture.CaptureConfig.CatchUp.SQL);
        assertThat(parse("capture.catchup", "walsender").capture().catchUp())
                .isEqualTo(io.sluice.capture.CaptureConfig.CatchUp.WALSENDER);
        assertThatThrownBy(() -> parse("capture.catchup", "copy"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .startsWith("capture.catchup=copy: ").contains("sql").contains("walsender"));
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
    void shouldParseMonitorRulesWithPerFollowerOverrides() {
        SluiceConfig c = parse(
                "followers.east.mode", "sync",
                "followers.west.mode", "async",
                "monitor.default.warn.ms", "2000",
                "monitor.default.for.ms", "1000",
                "monitor.followers.west.warn.ms", "5000",
                "monitor.followers.west.crit.ms", "60000",
                "monitor.slot.warn.bytes", "1000000",
                "monitor.webhook.urls", "http://alerts.internal/hook, https://pager.example/sluice",
                "monitor.http.token", "${env:PG_PASS}");
        SluiceConfig.Monitor m = c.monitor();
        assertThat(m.followerRules().get("east").warn()).isEqualTo(2.0);
        assertThat(m.followerRules().get("east").crit()).as("default").isEqualTo(10.0);
        assertThat(m.followerRules().get("east").forDuration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(m.followerRules().get("west").warn()).isEqualTo(5.0);
        assertThat(m.followerRules().get("west").crit()).isEqualTo(60.0);
        assertThat(m.followerRules().get("west").forDuration()).as("inherited from monitor.default").isEqualTo(Duration.ofSeconds(1));
        assertThat(m.capture().warn()).isEqualTo(2.0);
        assertThat(m.slot().warn()).isEqualTo(1_000_000.0);
        assertThat(m.webhooks()).hasSize(2);
        assertThat(m.httpToken().orElseThrow().reveal()).isEqualTo("s3cr3t-env");
        assertThat(m.toString()).doesNotContain("s3cr3t-env");
    }

    @Test
    void shouldRejectBadThresholdsNamingEachKey() {
        assertThatThrownBy(() -> parse(
                "followers.east.mode", "sync",
                "monitor.default.warn.ms", "20000",
                "monitor.default.crit.ms", "5000",
                "monitor.followers.east.for.ms", "-1",
                "monitor.followers.east.crit.ms", "500",
                "monitor.followers.ghost.warn.ms", "100",
                "monitor.slot.warn.bytes", "900",
                "monitor.slot.crit.bytes", "100",
                "monitor.default.clear.ratio", "1.5"))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "monitor.default.warn.ms=20000: WARN (20000 ms) is above CRIT (5000 ms)",
                        "monitor.default.crit.ms=5000: WARN (20000 ms) is above CRIT (5000 ms)",
                        "monitor.followers.east.for.ms=-1: a duration cannot be negative",
                        "monitor.followers.east.crit.ms=500: WARN (1000 ms) is above CRIT (500 ms); warn comes from monitor.default.*",
                        "monitor.followers.ghost.warn.ms=100: no follower 'ghost' is configured (followers: east)",
                        "monitor.slot.warn.bytes=900: above monitor.slot.crit.bytes (100)",
                        "monitor.default.clear.ratio=1.5: must be more than 0 and at most 1"));
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
