package io.sluice.client;

import io.sluice.format.ConsistencyToken;
import io.sluice.format.Lsn;
import java.util.Optional;
import java.util.UUID;

/**
 * One user's (or request chain's) view: the newest position it has read and its own newest write.
 * Reads through a session never go backwards (monotonic reads: a follower is used only once its
 * watermark is at or past the session's position) and always see the session's own writes
 * (read-your-writes). The session's id picks its preferred ("sticky") follower, the cheap
 * default for monotonic reads. Thread-safe; can be serialised as {@link #position()} plus
 * {@link #lastWrite()} (e.g. in a cookie) and rebuilt with {@link #resume}.
 */
public final class Session {

    private final String id;
    private Lsn position;
    private ConsistencyToken lastWrite;

    Session(String id, Lsn position, ConsistencyToken lastWrite) {
        this.id = id;
        this.position = position;
        this.lastWrite = lastWrite;
    }

    static Session create() {
        return new Session(UUID.randomUUID().toString(), Lsn.ZERO, null);
    }

    /** A session carried across requests: its id, position and last write. */
    public static Session resume(String id, Lsn position, ConsistencyToken lastWrite) {
        return new Session(id, position, lastWrite);
    }

    public String id() {
        return id;
    }

    /** The newest position this session has read: no later read shows less. */
    public synchronized Lsn position() {
        return position;
    }

    public synchronized Optional<ConsistencyToken> lastWrite() {
        return Optional.ofNullable(lastWrite);
    }

    synchronized void observed(Lsn lsn) {
        if (lsn.isAfter(position)) {
            position = lsn;
        }
    }

    synchronized void wrote(ConsistencyToken token) {
        lastWrite = token;
    }
}
