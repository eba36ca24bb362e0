package io.sluice.applier.internal;

/**
 * How many source transactions go into one follower transaction. The limit starts small and
 * doubles with every group that fills it, up to the configured maximum, so a catch-up gives the
 * follower thread work within milliseconds instead of after a whole maximum-size group has been
 * read; it starts small again whenever the applier has caught up. A group is also full at the
 * most row events per group, and holds one source transaction only up to an offset a failure
 * asked for (a group that added an enum label and then used it: PostgreSQL refuses a label in the
 * transaction that added it, so those transactions are applied again one per follower transaction).
 *
 * <p>Not thread-safe: the applier's stream thread.
 */
public final class GroupSizing {

    static final int FIRST_GROUP_TRANSACTIONS = 250;

    private final int maxTransactions;
    private final int maxEvents;
    private int limit;
    private long onePerGroupThrough = -1;

    public GroupSizing(int maxTransactions, int maxEvents) {
        if (maxTransactions < 1 || maxEvents < 1) {
            throw new IllegalArgumentException("group limits must be at least 1");
        }
        this.maxTransactions = maxTransactions;
        this.maxEvents = maxEvents;
        caughtUp();
    }

    /** Whether a group of {@code frames} transactions and {@code events} row events, the last at {@code offset}, is full. */
    public boolean full(int frames, int events, long offset) {
        return frames >= limit || events >= maxEvents || onePerGroupAt(offset);
    }

    /** A full group was committed: the next may be twice as large. */
    public void filled() {
        limit = (int) Math.min(maxTransactions, 2L * limit);
    }

    /** The applier caught up with the stream (or starts reading again): the next group starts small. */
    public void caughtUp() {
        limit = Math.min(FIRST_GROUP_TRANSACTIONS, maxTransactions);
    }

    /** Up to this stream offset, every source transaction is a follower transaction of its own. */
    public void onePerGroupThrough(long offset) {
        onePerGroupThrough = Math.max(onePerGroupThrough, offset);
    }

    /** Whether the source transaction ending at {@code offset} is a follower transaction of its own. */
    public boolean onePerGroupAt(long offset) {
        return offset <= onePerGroupThrough;
    }

    /** The current limit in transactions. */
    public int limit() {
        return limit;
    }
}
