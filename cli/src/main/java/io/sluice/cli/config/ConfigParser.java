package io.sluice.cli.config;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ConflictResolver;
import io.sluice.capture.CaptureConfig;

import io.sluice.format.SourceId;
import io.sluice.format.follower.Watermark;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Sluice configuration file (Java properties syntax, see {@code docs/configuration.md})
 * into a {@link SluiceConfig}. Every key is checked; every problem is collected and reported at
 * once as {@code key=value: reason}. Unknown keys are errors, except under the pass-through
 * prefixes {@code debezium.}, {@code kafka.client.} and {@code primary.jdbc.} /
 * {@code followers.<name>.jdbc.}.
 *
 * <p>Secret values may be written as {@code ${env:NAME}} or {@code ${file:PATH}}; secrets never
 * appear in messages. Stateless; each parse is independent.
 */
public final class ConfigParser {

    public static final String DEFAULT_SOURCE_ID = "app";
    public static final String DEFAULT_DATABASE = "postgres";
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_POLL = Duration.ofMillis(20);
    public static final String DEFAULT_MONITOR_HOST = "127.0.0.1";
    public static final int DEFAULT_MONITOR_PORT = 9464;
    public static final Duration DEFAULT_EVALUATION_INTERVAL = Duration.ofSeconds(1);
    public static final Path DEFAULT_DATA_DIR = Path.of(".sluice", "data");

    private static final Pattern FOLLOWER_KEY = Pattern.compile("followers\\.([^.]+)\\.(.+)");
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
    private static final Set<String> SECURITY_PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final Set<String> SASL_MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI");
    /** An unknown key that may hold a secret (a misspelt password key) has its value masked. */
    private static final Pattern SQL_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final Function<String, String> environment;

    public ConfigParser() {
        this(System::getenv);
    }

    /** A seam for tests: the environment {@code ${env:…}} references read. */
    ConfigParser(Function<String, String> environment) {
        this.environment = environment;
    }

    public SluiceConfig parse(Path file) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read the file: " + e.getMessage()));
        }
        Map<String, String> map = new TreeMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k).strip()));
        return parse(map, file.toString());
    }

    /** Parses keys and values already read; {@code origin} names them in errors. */
    public SluiceConfig parse(Map<String, String> values, String origin) {
        return read(new ConfigKeys(values, environment), origin);
    }

    /** A seam for the documentation check: every key a parse of {@code values} reads, with its default. */
    Map<String, String> keysRead(Map<String, String> values) {
        ConfigKeys keys = new ConfigKeys(values, environment);
        read(keys, "the documentation check");
        return keys.defaults;
    }

    private SluiceConfig read(ConfigKeys keys, String origin) {
        String sourceId = keys.string("source.id", DEFAULT_SOURCE_ID, v -> SourceId.isValid(v) ? null
                : "use 1-63 lower-case letters, digits or '_', starting with a letter");
        PostgresEndpoint primary = postgres(keys, "primary.");
        String primaryDb = keys.string("primary.database", DEFAULT_DATABASE, null);
        KafkaEndpoint kafka = kafka(keys);
        SluiceConfig.Capture capture = new SluiceConfig.Capture(
                keys.string("capture.slot.name", "sluice_" + sourceId, ConfigParser::sqlName),
                keys.string("capture.publication.name", "sluice_" + sourceId, ConfigParser::sqlName),
                keys.list("capture.tables", ConfigParser::tableName),
                keys.duration("capture.heartbeat.interval.ms", DEFAULT_HEARTBEAT, Duration.ofMillis(100)),
                keys.duration("capture.poll.interval.ms", DEFAULT_POLL, Duration.ofMillis(1)),
                keys.enumValue("capture.snapshot.mode", SluiceConfig.SnapshotMode.class, SluiceConfig.SnapshotMode.INITIAL),
                keys.bool("capture.synchronous.standby", false),
                keys.enumValue("capture.engine", CaptureConfig.Engine.class, CaptureConfig.Engine.PGOUTPUT),
                keys.list("capture.snapshot.direct", v -> null),
                new CaptureConfig.Failover(keys.bool("capture.slot.failover", CaptureConfig.Failover.DEFAULT.slot()),
                        keys.duration("capture.reconnect.timeout.ms", CaptureConfig.Failover.DEFAULT.reconnectTimeout(),
                                Duration.ZERO)),
                keys.enumValue("capture.origin", CaptureConfig.Origins.class, CaptureConfig.Origins.ANY),
                keys.enumValue("capture.catchup", CaptureConfig.CatchUp.class, CaptureConfig.CatchUp.SQL));
        if (capture.origins() == CaptureConfig.Origins.LOCAL && capture.engine() == CaptureConfig.Engine.DEBEZIUM) {
            keys.problem("capture.origin", "local", "needs capture.engine = pgoutput: Debezium's connector sends changes of every origin");
        }
        Map<String, SluiceConfig.Follower> followers = followers(keys);
        for (String f : capture.directSnapshot()) {
            if (!followers.containsKey(f)) {
                keys.problem("capture.snapshot.direct", String.join(",", capture.directSnapshot()),
                        "'" + f + "' is not a configured follower (configured: " + followers.keySet() + ")");
            } else if (!followers.get(f).isDatabase()) {
                keys.problem("capture.snapshot.direct", String.join(",", capture.directSnapshot()),
                        "'" + f + "' is of kind " + followers.get(f).kind().key() + ": a direct snapshot copies into a PostgreSQL follower");
            }
        }
        SluiceConfig.Monitor monitor = MonitorSection.read(keys, followers.keySet(), capture.heartbeatInterval());
        SluiceConfig.Embedded embedded = new SluiceConfig.Embedded(
                Path.of(keys.string("embedded.data.dir", DEFAULT_DATA_DIR.toString(), null)));
        Map<String, String> debezium = keys.passThrough("debezium.");
        keys.rejectUnknown();
        if (!keys.problems.isEmpty()) {
            throw new ConfigException(origin, keys.problems);
        }
        return new SluiceConfig(sourceId, primary, primaryDb, kafka, capture, followers, monitor, embedded, debezium);
    }

    private PostgresEndpoint postgres(ConfigKeys keys, String prefix) {
        String url = keys.string(prefix + "url", "embedded", v -> v.equals("embedded") || v.startsWith("jdbc:postgresql:")
                ? null : "expected 'embedded' or a JDBC URL starting with jdbc:postgresql:");
        Optional<String> user = Optional.ofNullable(keys.string(prefix + "user", null, null));
        Optional<Secret> password = Optional.ofNullable(keys.secret(prefix + "password"));
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, Secret> secrets = new LinkedHashMap<>();
        String sslMode = keys.string(prefix + "ssl.mode", null, v -> SSL_MODES.contains(v) ? null
                : "expected one of " + new TreeSet<>(SSL_MODES));
        if (sslMode != null) {
            options.put("sslmode", sslMode);
        }
        putIfSet(options, "sslrootcert", keys.string(prefix + "ssl.root.cert", null, ConfigParser::readableFile));
        putIfSet(options, "sslcert", keys.string(prefix + "ssl.cert", null, ConfigParser::readableFile));
        putIfSet(options, "sslkey", keys.string(prefix + "ssl.key", null, ConfigParser::readableFile));
        Secret keyPassword = keys.secret(prefix + "ssl.key.password");
        if (keyPassword != null) {
            secrets.put("sslpassword", keyPassword);
        }
        options.putAll(keys.passThrough(prefix + "jdbc."));
        boolean embedded = url == null || url.equals("embedded");
        if (embedded && (user.isPresent() || password.isPresent() || !options.isEmpty())) {
            keys.problem(prefix + "url", url, "an embedded server takes no user, password, ssl or jdbc settings;"
                    + " give a JDBC URL or remove them");
        }
        return new PostgresEndpoint(embedded, embedded ? "" : url, user, password, options, secrets);
    }

    private KafkaEndpoint kafka(ConfigKeys keys) {
        String bootstrap = keys.string("kafka.bootstrap.servers", "embedded", v -> v.equals("embedded")
                || Arrays.stream(v.split(",")).allMatch(hp -> hp.strip().matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}"))
                ? null : "expected 'embedded' or host:port[,host:port...]");
        Map<String, String> options = new LinkedHashMap<>();
        Map<String, Secret> secrets = new LinkedHashMap<>();
        putIfSet(options, "security.protocol", keys.string("kafka.security.protocol", null,
                v -> SECURITY_PROTOCOLS.contains(v) ? null : "expected one of " + new TreeSet<>(SECURITY_PROTOCOLS)));
        putIfSet(options, "sasl.mechanism", keys.string("kafka.sasl.mechanism", null,
                v -> SASL_MECHANISMS.contains(v) ? null : "expected one of " + new TreeSet<>(SASL_MECHANISMS)));
        putIfSet(options, "ssl.truststore.location", keys.string("kafka.ssl.truststore.location", null,
                ConfigParser::readableFile));
        putIfSet(options, "ssl.keystore.location", keys.string("kafka.ssl.keystore.location", null,
                ConfigParser::readableFile));
        putIfSet(options, "ssl.endpoint.identification.algorithm",
                keys.string("kafka.ssl.endpoint.identification.algorithm", null, null));
        for (String s : List.of("sasl.jaas.config", "ssl.truststore.password", "ssl.keystore.password", "ssl.key.password")) {
            Secret secret = keys.secret("kafka." + s);
            if (secret != null) {
                secrets.put(s, secret);
            }
        }
        options.putAll(keys.passThrough("kafka.client."));
        String protocol = options.getOrDefault("security.protocol", "PLAINTEXT");
        if (protocol.startsWith("SASL") && !secrets.containsKey("sasl.jaas.config")) {
            keys.problem("kafka.security.protocol", protocol, "SASL needs kafka.sasl.jaas.config (use ${env:…} or ${file:…})");
        }
        boolean embedded = bootstrap == null || bootstrap.equals("embedded");
        if (embedded && !options.isEmpty()) {
            keys.problem("kafka.bootstrap.servers", "embedded", "the embedded broker is PLAINTEXT on loopback;"
                    + " security and client settings need real bootstrap servers");
        }
        return new KafkaEndpoint(embedded, embedded ? "" : bootstrap, options, secrets);
    }

    private Map<String, SluiceConfig.Follower> followers(ConfigKeys keys) {
        Set<String> names = new TreeSet<>();
        for (String key : keys.values.keySet()) {
            Matcher m = FOLLOWER_KEY.matcher(key);
            if (m.matches()) {
                names.add(m.group(1));
            }
        }
        Map<String, SluiceConfig.Follower> followers = new LinkedHashMap<>();
        for (String name : names) {
            String prefix = "followers." + name + ".";
            if (!SQL_NAME.matcher(name).matches()) {
                keys.problem(prefix + "*", name, "a follower name must be 1-63 lower-case letters, digits or '_'");
            }
            ApplierConfig.Kind kind = keys.enumValue(prefix + "kind", ApplierConfig.Kind.class, ApplierConfig.Kind.POSTGRESQL);
            if (kind != ApplierConfig.Kind.POSTGRESQL) {
                for (String key : List.of("url", "database", "user", "password")) {
                    if (keys.values.containsKey(prefix + key)) {
                        keys.problem(prefix + key, key.equals("password") ? "***" : keys.values.get(prefix + key),
                                kind == ApplierConfig.Kind.TOPICS ? "a follower of kind topics writes to the source's Kafka and has no database"
                                        : "a follower of kind duckdb is a file: give followers." + name + ".file");
                    }
                }
            }
            String file = keys.string(prefix + "file", null, null);
            if (kind == ApplierConfig.Kind.DUCKDB && file == null) {
                keys.problem(prefix + "file", "", "a follower of kind duckdb needs the path of its database file");
            } else if (kind != ApplierConfig.Kind.DUCKDB && file != null) {
                keys.problem(prefix + "file", file, "only a follower of kind duckdb is a file");
            }
            PostgresEndpoint endpoint = postgres(keys, prefix);
            String database = keys.string(prefix + "database", DEFAULT_DATABASE, null);
            SluiceConfig.Mode mode = keys.enumValue(prefix + "mode", SluiceConfig.Mode.class, SluiceConfig.Mode.ASYNC);
            if (kind != ApplierConfig.Kind.POSTGRESQL && mode == SluiceConfig.Mode.SYNC) {
                keys.problem(prefix + "mode", "sync", "a synchronous follower is a PostgreSQL database a client reads from; a "
                        + kind.key() + " follower is not");
            }
            String conflictsName = keys.string(prefix + "conflicts", "none", null);
            ConflictResolver conflicts = null;
            try {
                conflicts = ConflictResolver.named(conflictsName);
            } catch (IllegalArgumentException e) {
                keys.problem(prefix + "conflicts", conflictsName, e.getMessage());
            }
            if (conflicts != null && kind != ApplierConfig.Kind.POSTGRESQL) {
                keys.problem(prefix + "conflicts", conflictsName, "only a PostgreSQL follower can be a leader with writers of its own");
            }
            if (conflicts != null && mode == SluiceConfig.Mode.SYNC) {
                keys.problem(prefix + "mode", "sync", "a leader with writers of its own is not a synchronous follower of this primary");
            }
            followers.put(name, new SluiceConfig.Follower(name, endpoint, database, mode, kind,
                    file == null ? null : java.nio.file.Path.of(file).toAbsolutePath().normalize(), conflicts));
        }
        return followers;
    }

    private static void putIfSet(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private static String sqlName(String v) {
        return SQL_NAME.matcher(v).matches() ? null : "use 1-63 lower-case letters, digits or '_', starting with a letter or '_'";
    }

    private static String tableName(String v) {
        if (!v.matches("[^.\\s]+\\.[^.\\s]+")) {
            return "'" + v + "' is not schema.table";
        }
        return v.startsWith(Watermark.SCHEMA + ".") ? "schema sluice is Sluice's own (appliers' and capture's bookkeeping) and never captured"
                : null;
    }

    private static String readableFile(String v) {
        return Files.isReadable(Path.of(v)) ? null : "no readable file at " + v;
    }

    /** The keys of one file, with what has been read and every problem found. */
}
