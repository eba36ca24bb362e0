package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.format.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether capture is reading far behind the end of the primary's WAL: the end is read on a
 * connection of its own at most every {@value #PROBE_MILLIS} ms, never per message. While capture
 * is behind, the stream writer gathers records into large produce requests (a catch-up would
 * otherwise send one small request per transaction, and on a busy machine the broker's per-request
 * work is what slows the whole pipeline); once it is within {@value #BEHIND_BYTES} bytes, every
 * record goes out at once, as before. A stale reading can only say "not behind" too early: the
 * end it remembers is older than the primary's, never newer. A failed reading says "not behind".
 */
final class BacklogProbe implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BacklogProbe.class);
    static final long BEHIND_BYTES = 1L << 20;
    static final long PROBE_MILLIS = 100;
    /** On a standby (capture from a standby, PostgreSQL 16+), the end of the WAL it has replayed. */
    private static final String WAL_END = "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            + " ELSE pg_current_wal_flush_lsn() END::text";

    private final PrimarySession session;
    private final Clock clock;
    private long probedAt;
    private Lsn walEnd = Lsn.ZERO;
    private boolean warned;

    BacklogProbe(Supplier<Connection> primary, Clock clock) {
        this.session = new PrimarySession(primary);
        this.clock = clock;
        this.probedAt = clock.millis() - PROBE_MILLIS;
    }

    /** Whether the WAL's end, as last read, lies more than {@value #BEHIND_BYTES} bytes past {@code read}. */
    boolean behind(Lsn read) {
        if (clock.millis() - probedAt >= PROBE_MILLIS) {
            walEnd();
        }
        return walEnd.minus(read) > BEHIND_BYTES;
    }

    /** The end of the primary's WAL read now (zero when it cannot be read). */
    Lsn walEnd() {
        probedAt = clock.millis();
        walEnd = probe();
        return walEnd;
    }

    private Lsn probe() {
        try (Statement st = session.get().createStatement(); ResultSet rs = st.executeQuery(WAL_END)) {
            rs.next();
            String end = rs.getString(1);
            return end == null ? Lsn.ZERO : Lsn.parse(end);
        } catch (SQLException | RuntimeException e) {
            if (!warned) {
                log.warn("reading the end of the primary's WAL failed ({}); records are sent one by one until it succeeds",
                        e.getMessage());
                warned = true;
            }
            session.reset();
            return Lsn.ZERO;
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
