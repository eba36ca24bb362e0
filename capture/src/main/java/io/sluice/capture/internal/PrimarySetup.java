package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the primary before capture starts and owns its slot and publication: each failure names
 * the setting and the fix, before the Debezium engine is ever started.
 */
public final class PrimarySetup {

    private static final Logger log = LoggerFactory.getLogger(PrimarySetup.class);

    private final String jdbcUrl;
    private final Properties connection;

    public PrimarySetup(String jdbcUrl, Properties connection) {
        this.jdbcUrl = jdbcUrl;
        this.connection = connection;
    }

    /** Slot facts for operators and the lag monitor. */
    public record SlotInfo(String name, boolean active, String confirmedFlushLsn, long retainedWalBytes) { }

    /**
     * A session on the primary with {@link io.sluice.format.SessionSettings}: the DDL triggers installed on it print
     * type names relative to its search path, as capture's other sessions do.
     */
    public Connection connect() {
        try {
            return PrimarySession.withSessionSettings(DriverManager.getConnection(jdbcUrl, connection));
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String user = connection.getProperty("user", "(from the URL)");
            if (state.startsWith("28")) {
                throw new CaptureException(Kind.CONFIGURATION, "cannot log in to the primary " + jdbcUrl + " as " + user
                        + " (SQLSTATE " + state + "): check primary.user and primary.password", e);
            }
            if (state.equals("3D000")) {
                throw new CaptureException(Kind.CONFIGURATION, "the primary has no such database: " + jdbcUrl
                        + " (fix primary.url or primary.database)", e);
            }
            throw new CaptureException(Kind.CONFIGURATION, "cannot connect to the primary " + jdbcUrl + " (SQLSTATE "
                    + state + "): " + e.getMessage() + " — check primary.url and that the server is up", e);
        }
    }

    /**
     * Checks wal_level, the database's encoding and replication rights, creates the publication and slot if absent.
     *
     * @throws CaptureException of kind CONFIGURATION naming what to fix
     */
    public void prepare(String publication, String slot, List<String> tables, boolean createSlot, boolean failoverSlot) {
        try (Connection c = connect()) {
            prepare(c, publication, slot, tables, createSlot, failoverSlot);
        } catch (SQLException e) {
            throw preparing(e);
        }
    }

    private CaptureException preparing(SQLException e) {
        return new CaptureException(Kind.FATAL, "preparing the primary " + jdbcUrl + ": " + e.getMessage(), e);
    }

    /** {@link #prepare(String, String, List, boolean, boolean)} on the session {@code c}, which stays open. */
    public void prepare(Connection c, String publication, String slot, List<String> tables, boolean createSlot,
                        boolean failoverSlot) {
        try {
            // One round trip for the three checks; pgoutput sends values in the database's encoding,
            // and the stream's text is UTF-8 (FORMAT.md).
            String walLevel;
            String encoding;
            String database;
            String user;
            boolean replication;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT current_setting('wal_level'), pg_encoding_to_char(d.encoding), d.datname, r.rolname,"
                            + " r.rolreplication OR r.rolsuper FROM pg_database d, pg_roles r"
                            + " WHERE d.datname = current_database() AND r.rolname = current_user")) {
                rs.next();
                walLevel = rs.getString(1);
                encoding = rs.getString(2);
                database = rs.getString(3);
                user = rs.getString(4);
                replication = rs.getBoolean(5);
            }
            if (!"logical".equals(walLevel)) {
                throw new CaptureException(Kind.CONFIGURATION, "the primary runs with wal_level=" + walLevel
                        + "; logical decoding needs wal_level=logical: set it in postgresql.conf"
                        + " (ALTER SYSTEM SET wal_level = logical) and restart the primary");
            }
            if (!"UTF8".equals(encoding)) {
                throw new CaptureException(Kind.CONFIGURATION, "database " + database + " has encoding " + encoding
                        + "; capture reads databases whose encoding is UTF8 only (its values reach the stream as the"
                        + " server sends them)");
            }
            if (!replication) {
                throw new CaptureException(Kind.CONFIGURATION, "role " + user
                        + " has no REPLICATION attribute: run ALTER ROLE " + user
                        + " REPLICATION (or use a role that has it) for primary.user");
            }
            ensurePublication(c, publication, tables);
            DdlTrigger.install(c);
            if (createSlot) {
                ensureSlot(c, slot, failoverSlot);
            } else {
                checkSlot(c, slot);
            }
        } catch (SQLException e) {
            throw preparing(e);
        }
    }

    private void ensurePublication(Connection c, String publication, List<String> tables) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    log.info("publication {} exists", publication);
                    PublicationCheck.check(c, publication, tables);
                    return;
                }
            }
        }
        String target = tables.isEmpty() ? "FOR ALL TABLES"
                : "FOR TABLE " + tables.stream().map(t -> TableId.parse(t).quoted()).collect(Collectors.joining(", "));
        // A partitioned table's changes are published as its own, not as its partitions': the
        // follower gets the table the application writes to (docs/capture.md).
        String sql = "CREATE PUBLICATION " + TableId.quote(publication) + " " + target + " WITH (publish_via_partition_root = true)";
        try (Statement st = c.createStatement()) {
            st.execute(sql);
            log.info("created publication {} {}", publication, target);
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new CaptureException(Kind.CONFIGURATION, "the primary refused to create publication " + publication
                        + " for capture.publication.name (" + e.getMessage() + "): run `" + sql + "` as a superuser"
                        + (tables.isEmpty() ? " (FOR ALL TABLES needs a superuser)" : " or as the tables' owner")
                        + ", or grant primary.user the rights", e);
            }
            if ("42P01".equals(e.getSQLState())) {
                throw new CaptureException(Kind.CONFIGURATION, "capture.tables names a table the primary does not have: "
                        + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** {@code failover}: created as a failover slot where the server has them (PostgreSQL 17; see {@link FailoverSlots}). */
    private void ensureSlot(Connection c, String slot, boolean failover) throws SQLException {
        if (checkSlot(c, slot)) {
            return;
        }
        boolean asFailover = failover && c.getMetaData().getDatabaseMajorVersion() >= 17;
        try (PreparedStatement ps = c.prepareStatement(asFailover
                ? "SELECT pg_create_logical_replication_slot(?, 'pgoutput', false, false, true)"
                : "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, slot);
            try (SlotCreationWatch watch = new SlotCreationWatch(this::connect, slot)) {
                ps.execute();
            }
            log.info("created replication slot {} (pgoutput{})", slot, asFailover ? ", failover" : "");
        } catch (SQLException e) {
            if ("53400".equals(e.getSQLState())) {
                throw new CaptureException(Kind.CONFIGURATION, "the primary has no free replication slot ("
                        + e.getMessage() + "): raise max_replication_slots or drop an unused slot", e);
            }
            throw e;
        }
    }

    /** Checks an existing slot; returns false when there is none. */
    private boolean checkSlot(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plugin, database FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    if (!"pgoutput".equals(rs.getString(1))) {
                        throw new CaptureException(Kind.CONFIGURATION, "slot " + slot + " exists with plugin "
                                + rs.getString(1) + ", not pgoutput: choose another capture.slot.name");
                    }
                    String db = scalar(c, "SELECT current_database()");
                    if (!db.equals(rs.getString(2))) {
                        throw new CaptureException(Kind.CONFIGURATION, "slot " + slot + " belongs to database "
                                + rs.getString(2) + ", not " + db + ": choose another capture.slot.name");
                    }
                    log.info("replication slot {} exists", slot);
                    return true;
                }
            }
        }
        return false;
    }

    /** The slot's state, or empty if it does not exist. */
    public Optional<SlotInfo> slot(String slot) {
        try (Connection c = connect()) {
            return slot(c, slot);
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading slot " + slot + ": " + e.getMessage(), e);
        }
    }

    /** {@link #slot(String)} read on the session {@code c}, which stays open. */
    public static Optional<SlotInfo> slot(Connection c, String slot) {
        try (PreparedStatement ps = c.prepareStatement("SELECT active, confirmed_flush_lsn::text,"
                + " pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new SlotInfo(slot, rs.getBoolean(1), rs.getString(2), rs.getLong(3)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading slot " + slot + ": " + e.getMessage(), e);
        }
    }

    /**
     * Drops the slot: the primary stops retaining WAL for it, and capture can no longer resume
     * from it. Only on an explicit operator request ({@code sluice capture --drop-slot}).
     *
     * @return true if a slot was dropped
     */
    public boolean dropSlot(String slot) {
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                boolean dropped = rs.next();
                log.warn("replication slot {} {}", slot, dropped ? "DROPPED on operator request" : "did not exist");
                return dropped;
            }
        } catch (SQLException e) {
            if ("55006".equals(e.getSQLState())) {
                throw new CaptureException(Kind.FATAL, "slot " + slot + " is in use by a running capture; stop it first", e);
            }
            throw new CaptureException(Kind.FATAL, "dropping slot " + slot + ": " + e.getMessage(), e);
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
