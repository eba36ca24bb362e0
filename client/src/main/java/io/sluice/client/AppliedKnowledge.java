package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import io.sluice.format.follower.AppliedNotice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * What the client knows one follower has applied, from the applier's notices and the watermark
 * row: the watermark, the recently applied xids with the commit LSN of their group, and from which
 * position on that knowledge is complete — so most token checks need no query. Token waits register
 * here by xid, and a notice listing the xid completes exactly them. Thread-safe.
 */
final class AppliedKnowledge {

    /** Whether a token's transaction is applied, as far as memory tells. */
    enum Answer { APPLIED, NOT_APPLIED, ASK_TABLES }

    private static final int RECENT = 200_000;

    private final Object lock = new Object();
    /** Recently applied xids (low 32 bits) → the commit LSN of the group that applied them. */
    private final Map<Long, Lsn> recent = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Lsn> eldest) {
            if (size() > RECENT) {
                exactFrom = Lsn.later(exactFrom, eldest.getValue()); // forgotten: below here, ask the tables
                return true;
            }
            return false;
        }
    };
    /**
     * Every group committed after this LSN was seen with its complete xid list: a token whose
     * position is at or past it and whose xid is not in {@link #recent} is certainly not applied,
     * without a query. Starts at the watermark read right after LISTEN ({@link #listening}); raised
     * by a notice too long to list its xids and by eviction from {@link #recent}.
     */
    private Lsn exactFrom = new Lsn(-1L);
    private volatile Lsn applied = Lsn.ZERO;
    private volatile Instant appliedCommitTime;
    /** Token waits by xid (low 32 bits). Guarded by lock. */
    private final Map<Long, List<Waiter>> waiters = new HashMap<>();

    private static final class Waiter {
        final ConsistencyToken token;
        final CountDownLatch done = new CountDownLatch(1);

        Waiter(ConsistencyToken token) {
            this.token = token;
        }
    }

    /** The follower's watermark: the commit LSN of the last source transaction it applied. */
    Lsn applied() {
        return applied;
    }

    Instant appliedCommitTime() {
        return appliedCommitTime;
    }

    /** The watermark row as read (the truth). */
    void watermark(Lsn lsn, Instant commitTime) {
        synchronized (lock) {
            if (lsn.isAfter(applied) || applied.equals(Lsn.ZERO)) {
                applied = lsn;
                appliedCommitTime = commitTime;
            }
        }
    }

    /** LISTEN is up and the watermark read after it: every later group arrives with its notice. */
    void listening() {
        synchronized (lock) {
            exactFrom = applied;
        }
    }

    /** Notices are being missed (the connection is down): the tables are the truth again. */
    void missing() {
        synchronized (lock) {
            exactFrom = new Lsn(-1L);
        }
    }

    /** A notice of this source's applier: the xids it lists (or only its last, when it could not list them all). */
    void notice(AppliedNotice notice) {
        Lsn lsn = notice.lastCommitLsn();
        synchronized (lock) {
            if (lsn.isAfter(applied)) {
                applied = lsn;
            }
            if (notice.xids() != null) {
                for (long x : notice.xids()) {
                    long xid = ConsistencyToken.streamXid(x);
                    recent.put(xid, lsn);
                    if (!waiters.isEmpty()) {
                        wake(xid, lsn);
                    }
                }
            } else {
                recent.put(ConsistencyToken.streamXid(notice.lastXid()), lsn);
                exactFrom = Lsn.later(exactFrom, lsn); // the other xids were not listed: ask the tables below here
            }
        }
    }

    /** The tables said the token's transaction is applied: remembered, so the next check needs no query. */
    void appliedInTables(ConsistencyToken t) {
        synchronized (lock) {
            recent.put(t.streamXid(), applied);
        }
    }

    /** Whether the token's transaction is applied, from memory alone where it can tell. */
    Answer answer(ConsistencyToken t) {
        if (!applied.isAfter(t.lsnBound())) {
            return Answer.NOT_APPLIED; // the transaction commits after lsnBound; the watermark is not past it
        }
        synchronized (lock) {
            Lsn at = recent.get(t.streamXid());
            if (at != null && at.isAfter(t.lsnBound())) {
                return Answer.APPLIED;
            }
            if (!exactFrom.isAfter(t.lsnBound())) {
                return Answer.NOT_APPLIED; // every group after the token's position was seen, none listed its xid
            }
        }
        return Answer.ASK_TABLES;
    }

    /**
     * Waits until {@code satisfied} holds for the token: a notice listing its xid wakes exactly this
     * waiter (no other waiter is disturbed); a re-check every 100 ms covers notices too long to list
     * their xids and reconnects.
     */
    boolean await(ConsistencyToken t, long deadlineNanos, Predicate<ConsistencyToken> satisfied) throws InterruptedException {
        long xid = t.streamXid();
        Waiter w = new Waiter(t);
        synchronized (lock) {
            waiters.computeIfAbsent(xid, k -> new ArrayList<>()).add(w);
        }
        try {
            if (satisfied.test(t)) {
                return true;
            }
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return satisfied.test(t);
                }
                if (w.done.await(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS) || satisfied.test(t)) {
                    return true;
                }
            }
        } finally {
            synchronized (lock) {
                List<Waiter> list = waiters.get(xid);
                if (list != null) {
                    list.remove(w);
                    if (list.isEmpty()) {
                        waiters.remove(xid);
                    }
                }
            }
        }
    }

    /** Completes the waiters of an applied xid whose token position the group's commit is past. Holds lock. */
    private void wake(long xid, Lsn groupLsn) {
        List<Waiter> list = waiters.get(xid);
        if (list != null) {
            for (Waiter w : list) {
                if (groupLsn.isAfter(w.token.lsnBound())) {
                    w.done.countDown();
                }
            }
        }
    }
}
