package io.sluice.capture.internal.pgoutput;

import io.sluice.format.Lsn;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * One message of PostgreSQL's logical replication protocol as the {@code pgoutput} plugin sends
 * it (protocol versions 1 to 4), decoded by {@link PgOutputDecoder}. Values stay in the server's
 * own text form, exactly as the column type's output function wrote them. {@code streamXid} is
 * the transaction a message belongs to inside a streamed block ({@link StreamStart} …
 * {@link StreamStop}), and 0 outside one.
 */
public sealed interface PgOutputMessage {

    /** The (sub)transaction a data message belongs to inside a streamed block; 0 outside one, and for other messages. */
    default long streamXid() {
        return 0;
    }

    record Begin(Lsn finalLsn, Instant commitTime, long xid) implements PgOutputMessage { }

    record Commit(Lsn commitLsn, Lsn endLsn, Instant commitTime) implements PgOutputMessage { }

    record Origin(Lsn originCommitLsn, String name) implements PgOutputMessage { }

    /** A table's shape, sent before its first change in a session and after every change of shape. */
    record Relation(long streamXid, int oid, String namespace, String name, char replicaIdentity,
                    List<RelationColumn> columns) implements PgOutputMessage {
        public Relation {
            columns = List.copyOf(columns);
        }
    }

    /** {@code typeModifier} is -1 when the type has none. */
    record RelationColumn(String name, int typeOid, int typeModifier, boolean key) { }

    /** A type that is not built in, sent before the first relation that uses it. */
    record Type(long streamXid, int oid, String namespace, String name) implements PgOutputMessage { }

    record Insert(long streamXid, int relationOid, Tuple row) implements PgOutputMessage { }

    /** {@code oldKey} (replica identity columns) or {@code oldRow} (REPLICA IDENTITY FULL) when sent, else null. */
    record Update(long streamXid, int relationOid, Tuple oldKey, Tuple oldRow, Tuple row) implements PgOutputMessage { }

    /** Exactly one of {@code oldKey} and {@code oldRow} is set. */
    record Delete(long streamXid, int relationOid, Tuple oldKey, Tuple oldRow) implements PgOutputMessage { }

    record Truncate(long streamXid, List<Integer> relationOids, boolean cascade, boolean restartIdentity)
            implements PgOutputMessage {
        public Truncate {
            relationOids = List.copyOf(relationOids);
        }
    }

    /** A {@code pg_logical_emit_message}; {@code lsn} is the message's own. */
    record LogicalMessage(long streamXid, boolean transactional, Lsn lsn, String prefix, byte[] content)
            implements PgOutputMessage { }

    record StreamStart(long xid, boolean firstSegment) implements PgOutputMessage { }

    record StreamStop() implements PgOutputMessage { }

    record StreamCommit(long xid, Lsn commitLsn, Lsn endLsn, Instant commitTime) implements PgOutputMessage { }

    /** A streamed (sub)transaction rolled back: what was streamed for {@code subXid} is void. */
    record StreamAbort(long xid, long subXid) implements PgOutputMessage { }

    /**
     * One row's columns, in the relation's column order. Per column a kind — {@link #NULL},
     * {@link #UNCHANGED} (a TOASTed value the change did not touch, not sent), {@link #TEXT} or
     * {@link #BINARY} — and, for the last two, the bytes the server sent.
     */
    record Tuple(byte[] kinds, byte[][] values) {
        public static final byte NULL = 'n';
        public static final byte UNCHANGED = 'u';
        public static final byte TEXT = 't';
        public static final byte BINARY = 'b';

        public int size() {
            return kinds.length;
        }

        /** The column's text form (UTF-8), or null when it is NULL or unchanged. */
        public String text(int column) {
            return kinds[column] == TEXT ? new String(values[column], StandardCharsets.UTF_8) : null;
        }
    }
}
