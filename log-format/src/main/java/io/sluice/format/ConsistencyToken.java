package io.sluice.format;

import java.util.Objects;

/**
 * Identifies one committed transaction on a source, so that a reader can wait until a follower
 * has applied it (read-your-writes).
 *
 * <p>{@code xid} is the writer's own transaction id (the full 64-bit {@code xid8}; the stream
 * carries its low 32 bits), which makes the token exact: a follower satisfies it when it has
 * applied that transaction, not when some later commit happens to pass a position.
 * {@code lsnBound} is a WAL position written <em>inside</em> the transaction, before its commit
 * (the LSN of a transactional logical message the client library writes): the transaction
 * commits after it, so a follower whose watermark is not past it has certainly not applied it,
 * and it tells the transaction apart from an older one whose 32-bit xid was the same.
 *
 * <p>The string form {@code v1.<source>.<xid>.<lsn as 16 hex digits>} uses only
 * {@code [a-z0-9_.A-F]}, so it is safe unescaped in an HTTP header, a cookie and a URL query.
 * Immutable and thread-safe.
 */
public record ConsistencyToken(String source, long xid, Lsn lsnBound) {

    private static final String PREFIX = "v1.";

    public ConsistencyToken {
        SourceId.require(source);
        if (xid <= 0) {
            throw new IllegalArgumentException("token xid must be positive, was " + xid);
        }
        Objects.requireNonNull(lsnBound, "lsnBound");
    }

    /**
     * Parses the string form.
     *
     * @throws IllegalArgumentException naming the token and the part that is wrong
     */
    public static ConsistencyToken parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("consistency token is empty");
        }
        if (text.length() > 128) {
            throw new IllegalArgumentException("consistency token is " + text.length() + " characters; at most 128 are valid");
        }
        if (!text.startsWith(PREFIX)) {
            throw bad(text, "it does not start with '" + PREFIX + "' (unknown token version)");
        }
        String[] parts = text.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            throw bad(text, "expected 3 parts after the version (source, xid, lsn), found " + parts.length);
        }
        if (!SourceId.isValid(parts[0])) {
            throw bad(text, "source '" + parts[0] + "' is not a valid source id");
        }
        long xid;
        try {
            xid = Long.parseLong(parts[1]);
        } catch (NumberFormatException e) {
            throw bad(text, "xid '" + parts[1] + "' is not a decimal number");
        }
        if (xid <= 0) {
            throw bad(text, "xid must be positive");
        }
        if (parts[2].length() != 16 || !parts[2].chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw bad(text, "lsn '" + parts[2] + "' must be 16 hexadecimal digits");
        }
        return new ConsistencyToken(parts[0], xid, new Lsn(Long.parseUnsignedLong(parts[2], 16)));
    }

    private static IllegalArgumentException bad(String text, String reason) {
        // Tokens arrive in HTTP headers: never echo control characters back into a message.
        String message = "malformed consistency token '" + text + "': " + reason;
        return new IllegalArgumentException(message.replaceAll("[^\\x20-\\x7e]", "?"));
    }

    /** The token's xid as the stream carries it and followers record it: its low 32 bits. */
    public long streamXid() {
        return streamXid(xid);
    }

    /**
     * A transaction id in the stream's form: pgoutput carries 32-bit xids, while a writer reads the
     * 64-bit {@code xid8}; every comparison between a token and the stream or a follower's record of
     * it is made in this form.
     */
    public static long streamXid(long xid) {
        return xid & 0xFFFF_FFFFL;
    }

    /** The header-safe string form; {@code parse(token.toString())} equals {@code token}. */
    @Override
    public String toString() {
        return PREFIX + source + "." + xid + "." + String.format("%016X", lsnBound.value());
    }
}
