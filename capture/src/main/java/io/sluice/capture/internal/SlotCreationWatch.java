package io.sluice.capture.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While a logical replication slot is being made: PostgreSQL makes one only once every transaction that had written
 * when it began has ended, so one left open holds capture's start for as long as it stays open. Instead of silence,
 * says which transactions it waits for — after a few seconds, then every half minute — until closed.
 */
public final class SlotCreationWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SlotCreationWatch.class);
    private static final long FIRST_SECONDS = 5;
    private static final long EVERY_SECONDS = 30;
    private static final String WRITING = "SELECT pid, coalesce(usename, '?'), coalesce(application_name, ''), xact_start,"
            + " coalesce(state, ''), left(query, 80) FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
            + " AND pid <> pg_backend_pid() ORDER BY xact_start";

    private final ScheduledExecutorService timer;

    /** Starts watching the making of {@code slot}; {@code connections}: sessions on the primary, one per look. */
    public SlotCreationWatch(Supplier<Connection> connections, String slot) {
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-slot-wait-" + slot);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> report(connections, slot), FIRST_SECONDS, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    private static void report(Supplier<Connection> connections, String slot) {
        List<String> open = new ArrayList<>();
        try (Connection c = connections.get(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(WRITING)) {
            while (rs.next()) {
                open.add("pid " + rs.getInt(1) + " (" + rs.getString(2) + (rs.getString(3).isEmpty() ? "" : ", " + rs.getString(3))
                        + ", since " + rs.getTimestamp(4).toInstant() + ", " + rs.getString(5) + ": " + rs.getString(6) + ")");
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("replication slot {} is not made yet, and the transactions it waits for could not be read: {}", slot,
                    e.getMessage());
            return;
        }
        log.warn("replication slot {} is not made yet: PostgreSQL makes it once every transaction that had written when it"
                + " began has ended; writing now: {}", slot, open.isEmpty() ? "none (it is about to be made)" : open);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
