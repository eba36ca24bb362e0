package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import java.util.List;

/**
 * A synchronous commit's followers did not apply it in time. The transaction IS committed on
 * the primary (Sluice sees writes after they commit): it is only not yet visible where the
 * durability level asked. The message names each follower that had not applied it, and why.
 */
public final class SyncTimeoutException extends java.sql.SQLException {

    private final transient ConsistencyToken token;
    private final List<String> missing;

    public SyncTimeoutException(String message, ConsistencyToken token, List<String> missing) {
        super(message, "57014");
        this.token = token;
        this.missing = List.copyOf(missing);
    }

    /** The committed transaction's token: it can still be awaited. */
    public ConsistencyToken token() {
        return token;
    }

    /** The followers that had not applied it. */
    public List<String> missing() {
        return missing;
    }
}
