package io.sluice.capture.internal.pgoutput;

import io.sluice.format.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.postgresql.PGStatement;

/**
 * Reads a backlog through SQL on a thread of its own, ahead of the capture thread that frames and
 * produces it ({@link SlotCatchUp}): the server decodes the next chunk while capture handles the one
 * before. A chunk's rows come only once the server has decoded all of it (the SQL functions fill
 * their result before they return a row), so read on one thread decoding and handling take turns.
 *
 * <p>It reads a temporary copy of the slot with {@code pg_logical_slot_get_binary_changes}, which
 * moves the copy on past each chunk without waiting for Kafka; the slot itself is moved, between
 * chunks, only to what Kafka has acknowledged ({@code acked}), as before. The copy belongs to the
 * session and goes with it, however the catch-up ends. Rows wait in a bounded queue, in batches of
 * at most {@value #BATCH_ROWS} rows or {@value #BATCH_BYTES} bytes, at most {@value #QUEUED_BATCHES}
 * batches: memory stays bounded whatever the backlog.
 */
final class SlotCopyReader implements AutoCloseable {

    static final int BATCH_ROWS = 1000;
    static final int BATCH_BYTES = 1 << 20;
    static final int QUEUED_BATCHES = 32;
    private static final int FETCH_ROWS = 10_000;

    /** What the reader hands over: a batch of messages, the end of the backlog, or the failure that stopped it. */
    sealed interface Item permits Batch, End, Failed { }

    record Batch(byte[][] rows, int count) implements Item { }

    /** The backlog is read: every chunk up to the one that returned fewer changes than it asked for. */
    record End() implements Item { }

    /** The reader stopped on {@code error}: an {@link SQLException} from the server, or anything else it threw. */
    record Failed(Exception error) implements Item { }

    private final Connection connection;
    private final String slot;
    private final String copy;
    private final String getChanges;
    private final String publications;
    private final Lsn end;
    private final Supplier<Lsn> acked;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUED_BATCHES);
    private final Thread thread;
    private volatile boolean stopped;
    private volatile Lsn confirmed;
    private volatile long read;

    /**
     * On {@code connection} (a session of its own, used by nothing else until {@link #close}),
     * whose temporary copy of {@code slot} is {@code copy}, confirmed at {@code confirmed}: reads up
     * to {@code end} with the call {@code getChanges} (parameters: the copy, the end, the number of
     * changes, {@code publications}), chunks of {@code firstChanges} changes doubling to {@code mostChanges}.
     */
    SlotCopyReader(Connection connection, String slot, String copy, String getChanges, String publications, Lsn end, Lsn confirmed,
                   int firstChanges, int mostChanges, Supplier<Lsn> acked, String threadName) {
        this.connection = connection;
        this.slot = slot;
        this.copy = copy;
        this.getChanges = getChanges;
        this.publications = publications;
        this.end = end;
        this.confirmed = confirmed;
        this.acked = acked;
        this.thread = new Thread(() -> run(firstChanges, mostChanges), threadName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The next item, in the order read, or null when none came within {@code millis}. */
    Item poll(long millis) throws InterruptedException {
        return queue.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** How far the slot itself has been moved: only ever to what Kafka acknowledged. */
    Lsn confirmed() {
        return confirmed;
    }

    /** Messages read so far. */
    long read() {
        return read;
    }

    private void run(int firstChanges, int mostChanges) {
        Item last;
        try {
            int changes = firstChanges;
            while (!stopped) {
                if (chunk(changes) < changes) {
                    break; // fewer than asked for: the server stopped at the backlog's end, not at the limit
                }
                advanceToAcked();
                changes = Math.min(mostChanges, changes * 2);
            }
            last = new End();
        } catch (SQLException | RuntimeException e) {
            last = new Failed(e);
        }
        offer(last);
    }

    /** One call: its rows into the queue, batch by batch; returns how many it returned. */
    private long chunk(int changes) throws SQLException {
        long rows = 0;
        try (PreparedStatement ps = connection.prepareStatement(getChanges)) {
            ps.unwrap(PGStatement.class).setPrepareThreshold(-1); // binary bytea: no hex to encode and parse
            ps.setString(1, copy);
            ps.setString(2, end.toString());
            ps.setInt(3, changes);
            ps.setString(4, publications);
            ps.setFetchSize(FETCH_ROWS);
            try (ResultSet rs = ps.executeQuery()) {
                byte[][] batch = new byte[BATCH_ROWS][];
                int n = 0;
                long bytes = 0;
                while (!stopped && rs.next()) {
                    byte[] row = rs.getBytes(1);
                    batch[n++] = row;
                    bytes += row.length;
                    rows++;
                    if (n == BATCH_ROWS || bytes >= BATCH_BYTES) {
                        offer(new Batch(batch, n));
                        read += n;
                        batch = new byte[BATCH_ROWS][];
                        n = 0;
                        bytes = 0;
                    }
                }
                if (n > 0) {
                    offer(new Batch(batch, n));
                    read += n;
                }
            }
        }
        connection.commit();
        return rows;
    }

    /** Moves the slot to what Kafka has acknowledged so far, without waiting for more. */
    private void advanceToAcked() throws SQLException {
        Lsn to = acked.get();
        if (to.compareTo(confirmed) > 0) {
            SlotCatchUp.advance(connection, slot, to);
            confirmed = to;
        }
    }

    private void offer(Item item) {
        try {
            while (!stopped && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                // the capture thread is busy with what is queued; wait for room
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    /**
     * Stops reading and waits for the thread; a call under way ends first, on its own or because
     * the owner aborted the session.
     */
    @Override
    public void close() {
        stopped = true;
        queue.clear();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
