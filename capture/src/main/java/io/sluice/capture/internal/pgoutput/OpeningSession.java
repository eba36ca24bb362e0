package io.sluice.capture.internal.pgoutput;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A connection to the primary being opened on a thread of its own while the caller asks the
 * primary something else — the catch-up's session, opened while the WAL's end is read, for the
 * backlog there usually is at a start ({@link SlotCatchUp}). Either taken ({@link #await}) or
 * closed unused ({@link #discard}).
 */
final class OpeningSession {

    private final CompletableFuture<Connection> opening;

    OpeningSession(Supplier<Connection> connect, String threadName) {
        this.opening = CompletableFuture.supplyAsync(connect, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            t.start();
        });
    }

    /** The connection once open; what opening it threw (a {@code CaptureException} naming the primary) otherwise. */
    Connection await() {
        try {
            return opening.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Closes the connection once it is open, unused; a failure to open it is of no interest then. */
    void discard() {
        opening.thenAccept(c -> {
            try {
                c.close();
            } catch (SQLException ignored) {
                // never used
            }
        });
    }
}
