package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The hand-off between the applier's two threads. The stream thread reads, frames and prepares
 * work ({@link Segment}s: statements with their values already turned into text); the follower
 * thread, started here, runs them on the store in order, a group's commit last. The stream thread
 * reads group N+1 while the follower writes group N; at most two segments wait between them. A
 * small group committed because the applier caught up runs on the stream thread itself while the
 * follower thread is idle ({@link #runOrSubmit}); either way one thread uses the store at a time.
 *
 * <p>A failure stops the follower thread from running anything more until the stream thread,
 * having seen it ({@link #rethrowFailure}), clears it — after it rolled back and reconnected.
 * Anything that must see the store idle (a rewind, a retry, stopping) first calls
 * {@link #awaitIdle}.
 */
public final class FollowerPipeline {

    /** One piece of store work, prepared on the stream thread and run on the follower thread. */
    @FunctionalInterface
    public interface Work {
        void run() throws SQLException;
    }

    /** Commits a group on the follower thread, after its work ran. */
    @FunctionalInterface
    public interface Committer {
        void commit(GroupCommit group) throws SQLException;
    }

    /**
     * Work for the follower thread; with a commit it ends a group, without one it is part of a huge
     * group. {@code where}: the source transactions it covers, for error messages; {@code collapsed}:
     * it writes collapsed rows; {@code endOffset}: the last stream offset it covers.
     */
    public record Segment(List<Work> work, GroupCommit commit, String where, boolean collapsed, long endOffset) { }

    private final BlockingQueue<Segment> queue = new ArrayBlockingQueue<>(2);
    private final Segment stop = new Segment(List.of(), null, "stop", false, -1);
    private final Object lock = new Object();
    private final Committer committer;
    private long submitted;
    private long completed;
    private volatile Throwable failure;
    private volatile Segment failedSegment;
    private volatile boolean discard;
    private Thread worker;

    public FollowerPipeline(Committer committer) {
        this.committer = committer;
    }

    /** Starts the follower thread. */
    public void start(String threadName) {
        worker = new Thread(this::loop, threadName);
        worker.setDaemon(true);
        worker.start();
    }

    /** Hands a segment to the follower thread; blocks while two wait. */
    public void submit(Segment s) throws SQLException {
        rethrowFailure();
        synchronized (lock) {
            submitted++;
        }
        try {
            queue.put(s);
        } catch (InterruptedException e) {
            synchronized (lock) {
                submitted--;
            }
            Thread.currentThread().interrupt();
            throw new ApplierException("interrupted while handing work to the follower thread", true, e);
        }
    }

    /**
     * Runs a group's last segment on the calling stream thread when the follower thread is idle, and
     * hands it over otherwise ({@link #submit}). For a group committed because the applier caught up
     * with the stream: nothing more waits to be read, so there is nothing for the stream thread to
     * overlap with the follower's write, and waking the follower thread would only add its wake-up
     * to the group's latency. A failure is thrown here, as {@link #rethrowFailure} would next.
     */
    public void runOrSubmit(Segment s) throws SQLException {
        rethrowFailure();
        boolean idle;
        synchronized (lock) {
            idle = completed == submitted; // the follower thread waits for work and none is queued: it touches no store
        }
        if (!idle) {
            submit(s);
            return;
        }
        run(s);
        rethrowFailure();
    }

    /** Runs a segment's work and its commit, unless an earlier failure or stopping drops it; keeps a failure for the stream thread. */
    private void run(Segment s) {
        if (failure != null || discard) {
            return;
        }
        try {
            for (Work w : s.work()) {
                w.run();
            }
            if (s.commit() != null) {
                committer.commit(s.commit());
            }
        } catch (Throwable t) {
            failedSegment = s;
            failure = t;
        }
    }

    private void loop() {
        while (true) {
            Segment s;
            try {
                s = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (s == stop) {
                return;
            }
            run(s);
            synchronized (lock) {
                completed++;
                lock.notifyAll();
            }
        }
    }

    /** Whether work handed over has not finished running yet. */
    public boolean busy() {
        synchronized (lock) {
            return completed < submitted;
        }
    }

    /** Waits until everything handed over has run (or been dropped after a failure). */
    public void awaitIdle() {
        synchronized (lock) {
            while (completed < submitted) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Throws the follower thread's failure, if it had one. */
    public void rethrowFailure() throws SQLException {
        Throwable t = failure;
        if (t == null) {
            return;
        }
        if (t instanceof SQLException e) {
            throw e;
        } else if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        }
        throw new ApplierException("the follower thread failed: " + t, false, t);
    }

    /** The segment whose work failed; null when none did. */
    public Segment failedSegment() {
        return failedSegment;
    }

    /** Forgets a failure the stream thread has dealt with. */
    public void clearFailure() {
        failure = null;
        failedSegment = null;
    }

    /**
     * Drops what is still queued (it is applied again from the watermark), lets the segment in
     * hand finish, and ends the thread. Idempotent.
     */
    public void stop() {
        if (worker == null || !worker.isAlive()) {
            return;
        }
        discard = true;
        try {
            queue.put(stop);
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
