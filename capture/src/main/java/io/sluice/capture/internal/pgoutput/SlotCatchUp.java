package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.Heartbeats;
import io.sluice.capture.internal.Reconnector;
import io.sluice.capture.internal.StreamWriter;
import io.sluice.format.CaptureSessions;
import io.sluice.format.Lsn;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains a backlog from the slot through SQL instead of the walsender, while capture starts far
 * behind the end of the primary's WAL (docs/capture.md, "Catching up"). A walsender writes every
 * pgoutput message to its socket on its own and wakes its reader for each; the SQL functions decode
 * the same messages into a result the server sends in full network buffers, which costs the primary
 * a fraction of the CPU — what bounds a catch-up on a busy machine.
 *
 * <p>The backlog as it stands at start — up to the WAL's end read then, not what the primary
 * writes meanwhile, which the walsender streams after — in chunks of whole transactions, read from a
 * temporary copy of the slot ({@link SlotCopyReader}, on a thread of its own, so the server decodes
 * the next chunk while this thread frames and produces the one before), at most a number of changes
 * that doubles from chunk to chunk (each call decodes from the restart point again, which moves only
 * past a {@code running_xacts} record; the first is small so the pipeline starts at once). Chasing a
 * moving end would pay that again and again under a busy primary, slower than the walsender
 * (docs/benchmarks.md, session 18). The messages go through the same decoder and framer as the
 * stream's. No other client holds the slot: capture's lock waited for one still holding it before
 * capture started ({@code CaptureLock}). The slot itself ({@code pg_replication_slot_advance}) is
 * moved between chunks only to what Kafka has acknowledged, so a capture stopped mid-backlog reads
 * the rest again, and the frames the stream already holds are skipped as after any restart. At the
 * backlog's end it is confirmed here too, once Kafka has everything, past a {@code running_xacts}
 * record written at the start where the server allows it ({@link #markEnd}), so the slot's restart
 * point moves to the backlog's end: a walsender reads its slot from the restart point, looking at
 * its socket once per WAL record, which over the small benchmark backlog cost the primary a third
 * of a core-second (docs/benchmarks.md, session 24). Large transactions are not streamed in
 * progress here (protocol 1): the server holds each to its commit. Not used when a synchronous
 * standby setting names capture (its commits would wait for a walsender that is not there yet) or
 * on a server older than 12 ({@code pg_copy_logical_replication_slot}); where the copy cannot be
 * made (no free replication slot, say) the walsender reads the backlog.
 */
final class SlotCatchUp {

    private static final Logger log = LoggerFactory.getLogger(SlotCatchUp.class);
    /** Behind the WAL's end by more than this, capture catches up through SQL. */
    static final long BEHIND_BYTES = 4L << 20;
    static final int FIRST_CHANGES = 10_000;
    static final int MOST_CHANGES = 1_600_000;

    /** Where the messages read go: the stream's decoder and framer. */
    interface Handler {
        /** One pgoutput message, handled as the stream handles it: the position reached when it closed a frame, else null. */
        Lsn handle(ByteBuffer message);

        /** Drops the transaction a failed read left half framed: it is read again, through the walsender. */
        void discardOpen();
    }

    private final Supplier<Connection> sessions;
    private final String slot;
    private final String publication;
    private final boolean localOnly;
    private final String source;
    private final int firstChanges;
    private volatile Connection connection;

    /** {@code sessions}: plain connections with the walsender's output settings. */
    SlotCatchUp(Supplier<Connection> sessions, String slot, String publication, boolean localOnly, String source) {
        this(sessions, slot, publication, localOnly, source, FIRST_CHANGES);
    }

    /** {@code firstChanges}: the first chunk's size (a test makes it small to read a small backlog in several). */
    SlotCatchUp(Supplier<Connection> sessions, String slot, String publication, boolean localOnly, String source,
                int firstChanges) {
        this.firstChanges = firstChanges;
        this.sessions = sessions;
        this.slot = slot;
        this.publication = publication;
        this.localOnly = localOnly;
        this.source = source;
    }

    /**
     * Catches up from {@code from} (what Kafka holds) to the WAL's end as it is now, when that is
     * more than {@value #BEHIND_BYTES} bytes ahead, then returns where the walsender should start:
     * the last position Kafka acknowledged, to which the slot is confirmed — or {@code from} when
     * nothing was read this way. Where the server refuses the SQL way (a setting such as
     * {@code temp_file_limit}, a permission), it says why and returns what Kafka holds, for the
     * walsender to read the rest; a lost connection is thrown, as the stream's is.
     */
    Lsn run(Lsn from, BacklogProbe backlog, Handler handler, StreamWriter writer, BooleanSupplier closing) throws SQLException {
        try {
            return read(from, backlog, handler, writer, closing);
        } catch (SQLException e) {
            if (closing.getAsBoolean() || Reconnector.isConnectionLoss(e)) {
                throw e;
            }
            log.warn("catching up through SQL failed ({}); reading the backlog through the walsender instead", e.getMessage());
            handler.discardOpen();
            writer.flush();
            return writer.ackedCommitLsn(from);
        }
    }

    private Lsn read(Lsn from, BacklogProbe backlog, Handler handler, StreamWriter writer, BooleanSupplier closing)
            throws SQLException {
        Lsn end = backlog.walEnd();
        if (end.minus(from) <= BEHIND_BYTES) {
            return from;
        }
        long started = System.nanoTime();
        long messages = 0;
        Lsn at = from;
        try (Connection c = sessions.get()) {
            connection = c;
            if (!usable(c)) {
                return from;
            }
            c.setAutoCommit(false);
            // A chunk is one long statement and one transaction held while capture reads it; the lag
            // monitor knows the session by its name.
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('statement_timeout', '0', false),"
                    + " set_config('idle_in_transaction_session_timeout', '0', false), set_config('application_name', ?, false)")) {
                ps.setString(1, CaptureSessions.catchUp(source));
                ps.execute();
            }
            at = start(c, from);
            Lsn confirmed = at;
            if (end.minus(at) <= BEHIND_BYTES) {
                return at; // the slot itself is within the bound: a new one, say, with a stream still empty
            }
            markEnd(c);
            end = backlog.walEnd();
            writer.gatherWhile(true); // far behind: records fill their batches
            Lsn floor = at;
            try (SlotCopyReader reader = new SlotCopyReader(c, slot, copy(c), getChanges(),
                    ReplicationConnection.publicationNames(publication), end, at, firstChanges, MOST_CHANGES,
                    () -> writer.ackedCommitLsn(floor), "sluice-catchup-" + source)) {
                reader.start();
                Lsn reached = handleAll(reader, handler, c, closing);
                messages = reader.read();
                confirmed = reader.confirmed();
                if (reached == null) {
                    return confirmed; // capture is stopping
                }
                at = reached;
            }
            writer.flush(); // everything read is on Kafka before the slot moves past it
            if (at.compareTo(confirmed) > 0) {
                // Confirmed here, not by the walsender: a walsender reads its slot from the restart
                // point with a look at its socket for every WAL record, the backlog's length again.
                advance(c, slot, at);
            }
        } finally {
            connection = null;
            writer.gatherWhile(false);
        }
        if (messages > 0) {
            log.info("caught up through SQL from {} to {}: {} messages in {} ms; streaming from there", from, at, messages,
                    (System.nanoTime() - started) / 1_000_000);
        }
        return at;
    }

    /**
     * Hands every message the reader reads to {@code handler}, in order, until the reader reaches
     * the backlog's end: returns the last position a closed frame reached then, or null when capture
     * is stopping. A failure of the reader is thrown; so is one of the handler, after the session is
     * aborted so that a call under way ends (its temporary copy of the slot goes with the session).
     */
    private static Lsn handleAll(SlotCopyReader reader, Handler handler, Connection c, BooleanSupplier closing)
            throws SQLException {
        Lsn reached = reader.confirmed();
        boolean ended = false;
        try {
            while (!closing.getAsBoolean()) {
                SlotCopyReader.Item item = reader.poll(100);
                if (item instanceof SlotCopyReader.Batch b) {
                    for (int i = 0; i < b.count(); i++) {
                        Lsn r = handler.handle(ByteBuffer.wrap(b.rows()[i]));
                        if (r != null) {
                            reached = r;
                        }
                    }
                } else if (item instanceof SlotCopyReader.End) {
                    ended = true;
                    return reached;
                } else if (item instanceof SlotCopyReader.Failed f) {
                    ended = true;
                    if (f.error() instanceof SQLException e) {
                        throw e;
                    }
                    throw (RuntimeException) f.error();
                }
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (!ended) {
                abort(c);
            }
        }
    }

    /** Ends a read in progress from any thread (capture is stopping). */
    void abort() {
        Connection c = connection;
        if (c != null) {
            abort(c);
        }
    }

    private static void abort(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException ignored) {
            // already closed
        }
    }

    /**
     * A temporary copy of the slot at its confirmed position, which the reader moves on chunk by
     * chunk; named for the session's backend (one per session), it ends with the session.
     */
    private String copy(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT slot_name FROM pg_copy_logical_replication_slot(?,"
                + " 'sluice_catchup_' || pg_backend_pid(), true)")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String copy = rs.getString(1);
                c.commit();
                return copy;
            }
        }
    }

    /** The walsender's options, but protocol 1: no transaction streamed in progress here. */
    private String getChanges() {
        return "SELECT data FROM pg_logical_slot_get_binary_changes(?, ?::pg_lsn, ?, 'proto_version', '1',"
                + " 'publication_names', ?, 'messages', 'true'" + (localOnly ? ", 'origin', 'none'" : "") + ")";
    }

    /** Whether this server can: slot copies (12+), and no synchronous standby setting waits on capture's walsender. */
    private boolean usable(Connection c) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 12) {
            return false;
        }
        if (CommitVisibility.mayWaitForCapture(c, source)) {
            log.info("catching up through the walsender: synchronous_standby_names may wait for it");
            return false;
        }
        return true;
    }

    /**
     * Where reading starts: the slot's confirmed position, moved first to {@code from} when the
     * stream already holds more (a capture stopped after Kafka's acknowledgement, before confirming).
     */
    private Lsn start(Connection c, Lsn from) throws SQLException {
        Lsn confirmed;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null) {
                    throw new SQLException("replication slot " + slot + " does not exist or is not a logical slot", "42704");
                }
                confirmed = Lsn.parse(rs.getString(1));
            }
        }
        if (from.compareTo(confirmed) > 0) {
            advance(c, slot, from);
            return from;
        }
        c.commit();
        return confirmed;
    }

    /**
     * Gives the slot a restart point at the backlog's end, where this server and role allow it
     * (PostgreSQL 17+, {@code pg_log_standby_snapshot} granted, not a standby): a running_xacts
     * record, which the server writes on its own only every 15 s of activity (a backlog written
     * within seconds has none), then a heartbeat after it, flushed, so the read ends on a frame
     * past the record — the slot is never confirmed past the stream's end ({@code StreamContinuity}).
     */
    private void markEnd(Connection c) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 17) {
            return;
        }
        try (Statement st = c.createStatement()) {
            boolean may;
            try (ResultSet rs = st.executeQuery(
                    "SELECT NOT pg_is_in_recovery() AND has_function_privilege('pg_log_standby_snapshot()', 'EXECUTE')")) {
                may = rs.next() && rs.getBoolean(1);
            }
            if (may) {
                st.execute("SELECT pg_log_standby_snapshot()");
                st.execute(Heartbeats.FLUSHED_SQL);
            }
            c.commit();
        } catch (SQLException e) {
            if (Reconnector.isConnectionLoss(e)) {
                throw e;
            }
            // Only a cost: the walsender reads the backlog again after the catch-up.
            c.rollback();
            log.info("no restart point written at the backlog's end ({}); the walsender reads the slot from its old one",
                    e.getMessage());
        }
    }

    static void advance(Connection c, String slot, Lsn to) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_replication_slot_advance(?, ?::pg_lsn)")) {
            ps.setString(1, slot);
            ps.setString(2, to.toString());
            ps.execute();
        }
        c.commit();
    }
}
