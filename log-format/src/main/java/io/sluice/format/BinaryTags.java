package io.sluice.format;

/**
 * The binary payloads' codes (FORMAT.md, "Payload, version 2"): event kinds, value tags, and the
 * integer encodings both the encoder and the decoder use.
 */
final class BinaryTags {

    // Event kinds.
    static final int BEGIN = 1;
    static final int INSERT = 2;
    static final int UPDATE = 3;
    static final int DELETE = 4;
    static final int TRUNCATE = 5;
    static final int SCHEMA = 6;
    static final int COMMIT = 7;
    static final int HEARTBEAT = 8;
    static final int MESSAGE = 9;
    static final int COPY = 10;
    static final String[] KIND_NAMES = {null, "begin", "insert", "update", "delete", "truncate", "schema",
            "commit", "heartbeat", "message", "copy"};

    // Value tags.
    static final int T_NULL = 0;
    static final int T_UNCHANGED = 1;
    static final int T_FALSE = 2;
    static final int T_TRUE = 3;
    static final int T_INT = 4;
    static final int T_NUMERIC = 5;
    static final int T_FLOAT = 6;
    static final int T_TEXT = 7;
    static final int T_JSON = 8;
    static final int T_BYTES = 9;
    static final int T_UUID = 10;
    static final int T_DATE = 11;
    static final int T_TIME = 12;
    static final int T_TIMETZ = 13;
    static final int T_TIMESTAMP = 14;
    static final int T_TIMESTAMPTZ = 15;
    static final int T_PLUS_INFINITY = 16;
    static final int T_MINUS_INFINITY = 17;
    static final int T_INTERVAL = 18;
    static final int T_ARRAY = 19;

    static final ChangeEvent.ReplicaIdentity[] IDENTITIES = ChangeEvent.ReplicaIdentity.values();
    /** PostgreSQL's epoch, 2000-01-01T00:00:00Z, in seconds since 1970: timestamps are counted from it, as PostgreSQL does. */
    static final long PG_EPOCH_SECONDS = 946_684_800L;
    static final int MAX_ARRAY_DEPTH = 64;

    /** Optional field 1: the event's epoch, written only when not 0 (FORMAT.md, "Epochs"). */
    static final int EPOCH_FIELD = 1;

    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    private BinaryTags() {
    }
}
