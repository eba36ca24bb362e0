package io.sluice.applier;

/**
 * The applier stopped. {@link #retriable()} tells whether retrying may succeed (connection
 * loss, serialization failure) or an operator must act (bad data, a constraint violation, a
 * type the follower cannot hold, a malformed stream). The message names the source LSN, table,
 * key and column, or the topic-partition-offset, where they are known.
 */
public class ApplierException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final boolean retriable;

    public ApplierException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    public ApplierException(String message) {
        this(message, false, null);
    }

    public boolean retriable() {
        return retriable;
    }
}
