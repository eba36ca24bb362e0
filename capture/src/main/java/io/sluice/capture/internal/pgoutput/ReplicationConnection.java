package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.CaptureSessions;
import io.sluice.format.Lsn;
import io.sluice.format.SessionSettings;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.ReplicationSlotInfo;

/**
 * One walsender connection to the primary ({@code replication=database}) through pgjdbc's
 * replication API: creates the slot with an exported snapshot, streams pgoutput from a position
 * and confirms positions back. The session prints values with {@link SessionSettings}, so every
 * value's text is in a form any PostgreSQL reads back as the same value.
 *
 * <p>Used by one thread, except {@link #abort()}, which any thread may call to end a blocked read.
 */
public final class ReplicationConnection implements AutoCloseable {

    private final Connection connection;
    private PGReplicationStream stream;
    private Lsn confirmed = Lsn.ZERO;

    private ReplicationConnection(Connection connection) {
        this.connection = connection;
    }

    public static ReplicationConnection open(String jdbcUrl, Properties connection, String source) {
        Properties p = new Properties();
        p.putAll(connection);
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        PGProperty.APPLICATION_NAME.set(p, CaptureSessions.walsender(source));
        PGProperty.OPTIONS.set(p, SessionSettings.startupOptions());
        try {
            return new ReplicationConnection(DriverManager.getConnection(jdbcUrl, p));
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.startsWith("28")) {
                throw new CaptureException(Kind.CONFIGURATION, "the primary " + jdbcUrl + " refused a replication connection"
                        + " (SQLSTATE " + state + "): " + e.getMessage() + " — pg_hba.conf must allow 'replication' or the"
                        + " database for primary.user, and the role needs REPLICATION", e);
            }
            throw new CaptureException(Kind.FATAL, "cannot open a replication connection to " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }

    /**
     * pgoutput's {@code publication_names} option for one publication: its name as a quoted
     * identifier, as the walsender, the SQL catch-up and a lost-writes read all pass it.
     */
    public static String publicationNames(String publication) {
        return '"' + publication.replace("\"", "\"\"") + '"';
    }

    /** One command on a replication connection: what {@link #once} runs. */
    @FunctionalInterface
    public interface Command<T> {
        T run(ReplicationConnection c) throws SQLException;
    }

    /**
     * Opens a replication connection, runs one command on it and closes it; a failure is a FATAL
     * {@link CaptureException} saying {@code what} was being done.
     */
    public static <T> T once(String jdbcUrl, Properties connection, String source, String what, Command<T> command) {
        try (ReplicationConnection c = open(jdbcUrl, connection, source)) {
            return command.run(c);
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, what + ": " + e.getMessage(), e);
        }
    }

    /** A slot just created, with the snapshot it exported (valid until this connection's next command). */
    public record CreatedSlot(Lsn consistentPoint, String snapshotName) { }

    /**
     * Creates the slot with an exported snapshot. {@code failover}: on PostgreSQL 17 and later the
     * slot is a failover slot, kept on standbys that synchronise slots (pgjdbc's builder cannot ask
     * for that, so the command is written out); before 17 it is an ordinary slot.
     */
    public CreatedSlot createSlot(String slot, boolean failover) throws SQLException {
        if (failover && majorVersion() >= 17) {
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT "
                    + slot + " LOGICAL pgoutput (SNAPSHOT 'export', FAILOVER true)")) {
                rs.next();
                return new CreatedSlot(Lsn.parse(rs.getString("consistent_point")), rs.getString("snapshot_name"));
            }
        }
        ReplicationSlotInfo info = connection.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot()
                .logical().withSlotName(slot).withOutputPlugin("pgoutput").make();
        return new CreatedSlot(Lsn.parse(info.getConsistentPoint().asString()), info.getSnapshotName());
    }

    /**
     * A temporary slot with an exported snapshot: a consistent point and a snapshot that matches it,
     * for a copy that must meet the stream exactly; the slot goes when this connection closes.
     */
    public CreatedSlot createTemporarySlot(String slot) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT " + slot
                + " TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')")) {
            rs.next();
            return new CreatedSlot(Lsn.parse(rs.getString("consistent_point")), rs.getString("snapshot_name"));
        }
    }

    /** Drops a slot no session is using (its exported snapshot, if this connection made it, ends too). */
    public void dropSlot(String slot) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("DROP_REPLICATION_SLOT " + slot);
        }
    }

    /** Makes an existing, inactive slot a failover slot (PostgreSQL 17; no SQL function can). */
    public Void makeFailover(String slot) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("ALTER_REPLICATION_SLOT " + slot + " (FAILOVER true)");
        }
        return null;
    }

    /**
     * The server's history file of timeline {@code timeline}: one line per earlier timeline, its
     * number, the LSN where it ended and why ({@code TIMELINE_HISTORY}).
     */
    public String timelineHistory(int timeline) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("TIMELINE_HISTORY " + timeline)) {
            rs.next();
            return rs.getString(2); // sent as the file's bytes, which is also bytea's text form of them
        }
    }

    private int majorVersion() throws SQLException {
        return connection.getMetaData().getDatabaseMajorVersion();
    }

    /**
     * Starts streaming the slot from {@code from} (the server starts at the slot's confirmed
     * position when that is later), with logical messages. From PostgreSQL 14 on, protocol version
     * 2 with {@code streaming on}: a transaction larger than the server's
     * {@code logical_decoding_work_mem} arrives in blocks while it runs instead of being spilled by
     * the server and sent at its commit ({@link StreamedTransactions}); before 14, protocol 1.
     *
     * With {@code localOnly}, pgoutput's {@code origin none} (PostgreSQL 16 and later): changes an
     * applier wrote under a replication origin are not sent.
     *
     * @return the protocol version asked for
     */
    public int start(String slot, String publication, Lsn from, Duration statusInterval, boolean localOnly) throws SQLException {
        int major = majorVersion();
        boolean streaming = major >= 14;
        if (localOnly && major < 16) {
            throw new CaptureException(CaptureException.Kind.CONFIGURATION, "capture.origin = local needs PostgreSQL 16 or later"
                    + " (pgoutput's origin option); this primary is " + major + ". Without it, changes an applier wrote here"
                    + " would be sent back where they came from", null);
        }
        var builder = connection.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                .withSlotName(slot)
                .withStartPosition(LogSequenceNumber.valueOf(from.value()))
                .withSlotOption("proto_version", streaming ? "2" : "1")
                .withSlotOption("publication_names", publicationNames(publication))
                .withSlotOption("messages", "true");
        if (streaming) {
            builder = builder.withSlotOption("streaming", "on");
        }
        if (localOnly) {
            builder = builder.withSlotOption("origin", "none");
        }
        stream = builder.withStatusInterval((int) statusInterval.toMillis(), TimeUnit.MILLISECONDS)
                .withAutomaticFlush(false)
                .start();
        confirmed = from;
        return streaming ? 2 : 1;
    }

    /** The next message without waiting for one (a peek of at most a millisecond), or null. */
    public ByteBuffer poll() throws SQLException {
        return stream.readPending();
    }

    /** The next message, waiting as long as it takes (the status is still sent at its interval); null once closed. */
    public ByteBuffer take() throws SQLException {
        return stream.read();
    }

    /** Tells the primary everything up to {@code lsn} is safe on the stream: the slot may move there. */
    public void confirm(Lsn lsn) throws SQLException {
        if (lsn.compareTo(confirmed) <= 0) {
            return;
        }
        LogSequenceNumber l = LogSequenceNumber.valueOf(lsn.value());
        stream.setFlushedLSN(l);
        stream.setAppliedLSN(l);
        stream.forceUpdateStatus();
        confirmed = lsn;
    }

    public Lsn confirmed() {
        return confirmed;
    }

    /** The connection for plain statements before streaming starts (the exported snapshot's owner). */
    public Connection jdbc() {
        return connection;
    }

    /** Ends the connection at once, from any thread: a blocked read fails, the walsender exits. */
    public void abort() {
        try {
            connection.abort(Runnable::run);
        } catch (SQLException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a broken connection
        }
    }
}
