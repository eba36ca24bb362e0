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
 * writes meanwhile, which the walsender streams after — in chunks of whole transactions:
 * {@code pg_logical_slot_peek_binary_changes}, at most a number of changes that doubles from chunk
 * to chunk (each call decodes from the slot's restart point again, which moves only past a
 * {@code running_xacts} record, so few large calls cost the least; the first is small so the
 * pipeline starts at once). Chasing a moving end would pay that again and again under a busy
 * primary, slower than the walsender (docs/benchmarks.md, session 18). The messages go through the
 * same decoder and framer as the stream's. No other client holds the slot: capture's lock waited for
 * one still holding it before capture started ({@code CaptureLock}). A chunk is confirmed
 * ({@code pg_replication_slot_advance}) only once Kafka has acknowledged every frame of it, so a
 * capture stopped mid-chunk reads it again, and the frames the stream already holds are skipped as
 * after any restart. Chunks are read until one ends short of its limit, at the backlog's end, and
 * that one is confirmed here too, past a {@code running_xacts} record written at the start where the
 * server allows it ({@link #markEnd}), so the slot's restart point moves to the backlog's end: a
 * walsender reads its slot from the restart point, looking at its socket once per WAL record, which
 * over the small benchmark backlog cost the primary a third of a core-second (docs/benchmarks.md,
 * session 24). Large transactions are not streamed in progress here (protocol 1): the server holds
 * each to its commit. Not used when a synchronous standby setting names capture (its commits would
 * wait for a walsender that is not there yet) or on a server older than 11.
 */
final class SlotCatchUp {

    private static final Logger log = LoggerFactory.getLogger(SlotCatchUp.class);
    /** Behind the WAL's end by more than this, capture catches up through SQL. */
    static final long BEHIND_BYTES = 4L << 20;
    static final int FIRST_CHANGES = 50_000;
    static final int MOST_CHANGES = 1_600_000;
    private static final int FETCH_ROWS = 10_000;

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
        OpeningSession session = new OpeningSession(sessions, "sluice-capture-catchup-" + source);
        Lsn end = backlog.walEnd();
        if (end.minus(from) <= BEHIND_BYTES) {
            session.discard();
            return from;
        }
        long started = System.nanoTime();
        long messages = 0;
        Lsn at = from;
        try (Connection c = session.await()) {
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
            int changes = firstChanges;
            writer.gatherWhile(true); // far behind: records fill their batches
            while (!closing.getAsBoolean()) {
                Lsn reached = at;
                long read = 0;
                try (PreparedStatement ps = c.prepareStatement(peek())) {
                    ps.unwrap(PGStatement.class).setPrepareThreshold(-1); // binary bytea: no hex to encode and parse
                    ps.setString(1, slot);
                    ps.setString(2, end.toString());
                    ps.setInt(3, changes);
                    ps.setString(4, ReplicationConnection.publicationNames(publication));
                    ps.setFetchSize(FETCH_ROWS);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next() && !closing.getAsBoolean()) {
                            read++;
                            Lsn r = handler.handle(ByteBuffer.wrap(rs.getBytes(1)));
                            if (r != null) {
                                reached = r;
                            }
                        }
                    }
                }
                c.commit();
                if (closing.getAsBoolean()) {
                    break;
                }
                messages += read;
                writer.flush(); // everything read is on Kafka before the slot moves past it
                at = reached;
                if (read < changes) {
                    break; // fewer than asked for: the server stopped at the backlog's end, not at the limit
                }
                advance(c, at);
                confirmed = at;
                changes = Math.min(MOST_CHANGES, changes * 2);
            }
            if (!closing.getAsBoolean() && at.compareTo(confirmed) > 0) {
                // Confirmed here, not by the walsender: a walsender reads its slot from the restart
                // point with a look at its socket for every WAL record, the backlog's length again.
                advance(c, at);
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

    /** Ends a read in progress from any thread (capture is stopping). */
    void abort() {
        Connection c = connection;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException ignored) {
                // already closed
            }
        }
    }

    /** The walsender's options, but protocol 1: no transaction streamed in progress here. */
    private String peek() {
        return "SELECT data FROM pg_logical_slot_peek_binary_changes(?, ?::pg_lsn, ?, 'proto_version', '1',"
                + " 'publication_names', ?, 'messages', 'true'" + (localOnly ? ", 'origin', 'none'" : "") + ")";
    }

    /** Whether this server can: slot advance (11+), and no synchronous standby setting waits on capture's walsender. */
    private boolean usable(Connection c) throws SQLException {
        if (c.getMetaData().getDatabaseMajorVersion() < 11) {
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
            advance(c, from);
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

    private void advance(Connection c, Lsn to) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_replication_slot_advance(?, ?::pg_lsn)")) {
            ps.setString(1, slot);
            ps.setString(2, to.toString());
            ps.execute();
        }
        c.commit();
    }
}
