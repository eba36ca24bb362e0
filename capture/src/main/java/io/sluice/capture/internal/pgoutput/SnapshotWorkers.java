package io.sluice.capture.internal.pgoutput;

import io.sluice.format.TableId;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The threads that run a snapshot's copies on its sessions ({@link SnapshotGuard}), shared by both ways of copying it
 * ({@link SnapshotCopy} onto the stream, {@link DirectSnapshotCopy} into followers).
 */
final class SnapshotWorkers {

    /** One copy in a snapshot session; {@code halt} turns true when another copy failed or capture stops. */
    @FunctionalInterface
    interface Copy<T> {
        long copy(Connection session, T what, BooleanSupplier halt) throws Exception;
    }

    private SnapshotWorkers() {
    }

    /**
     * Runs every copy of {@code work} on the snapshot's sessions at once, one thread each; returns the rows copied.
     * The first session holds every table and copies whatever is left; each other session takes one copy per
     * transaction and its table's lock without waiting ({@link SnapshotGuard#lockAlone}), and leaves the rest to the
     * first once a command waits for a table. The first failure stops the rest and is thrown; so is a stop asked for
     * meanwhile. The sessions stay open.
     */
    static <T> long copyAll(SnapshotGuard guard, List<T> work, Function<T, TableId> tableOf, String threadName,
                            BooleanSupplier stopping, Copy<T> copy) throws Exception {
        ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>(work);
        AtomicLong rows = new AtomicLong();
        AtomicBoolean failed = new AtomicBoolean();
        BooleanSupplier halt = () -> failed.get() || stopping.getAsBoolean();
        List<Connection> sessions = guard.sessions();
        CountDownLatch othersDone = new CountDownLatch(sessions.size() - 1);
        ExecutorService pool = Executors.newFixedThreadPool(sessions.size(), r -> new Thread(r, threadName));
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < sessions.size(); i++) {
                int session = i;
                running.add(pool.submit(() -> {
                    Connection c = sessions.get(session);
                    try {
                        while (!halt.getAsBoolean()) {
                            T w = queue.poll();
                            if (w == null) {
                                // The first session ends last: another may still hand a copy back.
                                if (session > 0 || othersDone.getCount() == 0 && queue.isEmpty()) {
                                    break;
                                }
                                othersDone.await(20, TimeUnit.MILLISECONDS);
                            } else if (session > 0 && !guard.lockAlone(c, tableOf.apply(w))) {
                                queue.add(w); // a command waits for the table: the first session, which holds it, copies it
                                break;
                            } else {
                                rows.addAndGet(copy.copy(c, w, halt));
                            }
                        }
                    } catch (Exception e) {
                        failed.set(true); // the other copies stop too: nothing of the snapshot is committed
                        throw e;
                    } finally {
                        if (session > 0) {
                            othersDone.countDown();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        if (stopping.getAsBoolean()) {
            throw new IllegalStateException("capture is stopping: the snapshot is left unfinished and starts over next time");
        }
        return rows.get();
    }
}
