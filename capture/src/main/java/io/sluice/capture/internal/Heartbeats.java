package io.sluice.capture.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture's heartbeat: a non-transactional logical message written on the primary at an interval,
 * so that the slot and the stream move on even when no captured table changes (an idle or
 * filtered database) — the engine turns the message into a heartbeat event and confirms the slot
 * up to it once Kafka has it. A missed heartbeat (primary briefly away) is logged and retried at
 * the next interval; the engine's own connection reports a primary that is really gone.
 *
 * <p>On the same connection, every {@value #SEQUENCES_MILLIS} ms, the primary's sequences when they
 * changed ({@link SequenceReports}).
 */
public final class Heartbeats implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);
    /** Prefix of the messages; consumers never see them as messages, only as heartbeat events. */
    public static final String PREFIX = "sluice.heartbeat";
    public static final String SQL = "SELECT pg_logical_emit_message(false, '" + PREFIX + "', now()::text)";
    /** A heartbeat whose WAL is flushed at once (PostgreSQL 17+), so a read up to the flushed end includes it. */
    public static final String FLUSHED_SQL = "SELECT pg_logical_emit_message(false, '" + PREFIX + "', now()::text, true)";

    static final long SEQUENCES_MILLIS = 1000;

    private final PrimarySession session;
    private final ScheduledExecutorService timer;
    private final SequenceReports sequences;
    private boolean sequencesWarned;
    private boolean sequencesOff;
    private static final String READ_ONLY = "25006";

    /** Starts writing a heartbeat every {@code interval}, the first one {@code interval} from now. */
    public Heartbeats(Supplier<Connection> connections, Duration interval, String source, MessageGate gate) {
        this.session = new PrimarySession(connections);
        this.sequences = new SequenceReports(gate.own());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-heartbeat-" + source);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::reportSequences, 0, SEQUENCES_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void reportSequences() {
        if (sequencesOff) {
            return;
        }
        try {
            sequences.report(session.get());
            sequencesWarned = false;
        } catch (SQLException e) {
            if (READ_ONLY.equals(e.getSQLState())) {
                // A standby (capture from a standby): nothing can be written there; its primary's capture reports.
                log.warn("the primary's sequences are not reported: {}", e.getMessage());
                sequencesOff = true;
                return;
            }
            warnSequences(e);
        } catch (RuntimeException e) {
            warnSequences(e);
        }
    }

    private void warnSequences(Exception e) {
        if (!sequencesWarned) {
            log.warn("reading the primary's sequences failed (retried every {} ms; a follower promoted meanwhile"
                    + " relies on its own rows for them): {}", SEQUENCES_MILLIS, e.getMessage());
            sequencesWarned = true;
        }
        session.reset();
    }

    private void beat() {
        try {
            try (Statement st = session.get().createStatement()) {
                st.execute(SQL);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("heartbeat on the primary failed (retried at the next interval): {}", e.getMessage());
            session.reset();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.close();
    }
}
