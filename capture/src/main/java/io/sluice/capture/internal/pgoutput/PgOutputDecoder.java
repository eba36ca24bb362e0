package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.pgoutput.PgOutputMessage.Tuple;
import io.sluice.format.Lsn;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the messages of PostgreSQL's logical replication protocol ({@code pgoutput}, protocol
 * versions 1 to 4) — what a walsender sends inside its XLogData and what
 * {@code pg_logical_slot_get_binary_changes} returns — into {@link PgOutputMessage}s. Values are
 * kept as the bytes the server sent.
 *
 * <p>Stateful in one respect: between Stream Start and Stream Stop the data messages carry the
 * streamed transaction's xid, so the decoder must see every message of a session, in order. Not
 * thread-safe. A message it does not know, or one cut short, is an {@link IllegalArgumentException}
 * naming the message type and where in it decoding stopped.
 */
public final class PgOutputDecoder {

    /** PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC. */
    private static final Instant PG_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    private boolean inStream;

    public PgOutputMessage decode(ByteBuffer buffer) {
        ByteBuffer b = buffer.slice();
        char type = (char) b.get();
        try {
            PgOutputMessage m = decode(type, b);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " bytes left over");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("pgoutput message '" + type + "' is cut short at byte " + (b.position() + 1)
                    + " of " + (b.limit() + 1), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pgoutput message '" + type + "' at byte " + (b.position() + 1) + ": "
                    + e.getMessage(), e);
        }
    }

    private PgOutputMessage decode(char type, ByteBuffer b) {
        switch (type) {
            case 'B':
                return new PgOutputMessage.Begin(lsn(b), time(b), Integer.toUnsignedLong(b.getInt()));
            case 'C':
                b.get(); // flags, unused
                return new PgOutputMessage.Commit(lsn(b), lsn(b), time(b));
            case 'O':
                return new PgOutputMessage.Origin(lsn(b), string(b));
            case 'R':
                return relation(streamXid(b), b);
            case 'Y':
                return new PgOutputMessage.Type(streamXid(b), b.getInt(), string(b), string(b));
            case 'I': {
                long xid = streamXid(b);
                int rel = b.getInt();
                expect(b, 'N');
                return new PgOutputMessage.Insert(xid, rel, tuple(b));
            }
            case 'U': {
                long xid = streamXid(b);
                int rel = b.getInt();
                Tuple oldKey = null;
                Tuple oldRow = null;
                byte next = b.get();
                if (next == 'K') {
                    oldKey = tuple(b);
                    next = b.get();
                } else if (next == 'O') {
                    oldRow = tuple(b);
                    next = b.get();
                }
                if (next != 'N') {
                    throw new IllegalArgumentException("expected 'N' (new tuple), found '" + (char) next + "'");
                }
                return new PgOutputMessage.Update(xid, rel, oldKey, oldRow, tuple(b));
            }
            case 'D': {
                long xid = streamXid(b);
                int rel = b.getInt();
                byte which = b.get();
                if (which != 'K' && which != 'O') {
                    throw new IllegalArgumentException("expected 'K' or 'O' (old key or row), found '" + (char) which + "'");
                }
                Tuple old = tuple(b);
                return new PgOutputMessage.Delete(xid, rel, which == 'K' ? old : null, which == 'O' ? old : null);
            }
            case 'T': {
                long xid = streamXid(b);
                int n = b.getInt();
                byte options = b.get();
                List<Integer> oids = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    oids.add(b.getInt());
                }
                return new PgOutputMessage.Truncate(xid, oids, (options & 1) != 0, (options & 2) != 0);
            }
            case 'M': {
                long xid = streamXid(b);
                boolean transactional = (b.get() & 1) != 0;
                Lsn lsn = lsn(b);
                String prefix = string(b);
                byte[] content = new byte[b.getInt()];
                b.get(content);
                return new PgOutputMessage.LogicalMessage(xid, transactional, lsn, prefix, content);
            }
            case 'S':
                inStream = true;
                return new PgOutputMessage.StreamStart(Integer.toUnsignedLong(b.getInt()), b.get() == 1);
            case 'E':
                inStream = false;
                return new PgOutputMessage.StreamStop();
            case 'c': {
                long xid = Integer.toUnsignedLong(b.getInt());
                b.get(); // flags, unused
                return new PgOutputMessage.StreamCommit(xid, lsn(b), lsn(b), time(b));
            }
            case 'A': {
                PgOutputMessage.StreamAbort abort = new PgOutputMessage.StreamAbort(Integer.toUnsignedLong(b.getInt()),
                        Integer.toUnsignedLong(b.getInt()));
                if (b.remaining() == 16) {
                    b.position(b.limit()); // protocol 4 with parallel apply: abort LSN and time, not needed here
                }
                return abort;
            }
            default:
                throw new IllegalArgumentException("unknown message type (two-phase messages are not requested)");
        }
    }

    private static PgOutputMessage.Relation relation(long xid, ByteBuffer b) {
        int oid = b.getInt();
        String namespace = string(b);
        String name = string(b);
        char identity = (char) b.get();
        int n = Short.toUnsignedInt(b.getShort());
        List<PgOutputMessage.RelationColumn> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean key = (b.get() & 1) != 0;
            columns.add(new PgOutputMessage.RelationColumn(string(b), b.getInt(), b.getInt(), key));
        }
        return new PgOutputMessage.Relation(xid, oid, namespace, name, identity, columns);
    }

    private static Tuple tuple(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        byte[] kinds = new byte[n];
        byte[][] values = new byte[n][];
        for (int i = 0; i < n; i++) {
            kinds[i] = b.get();
            switch (kinds[i]) {
                case Tuple.NULL, Tuple.UNCHANGED -> { }
                case Tuple.TEXT, Tuple.BINARY -> {
                    values[i] = new byte[b.getInt()];
                    b.get(values[i]);
                }
                default -> throw new IllegalArgumentException("column " + (i + 1) + " of " + n + " has unknown kind '"
                        + (char) kinds[i] + "'");
            }
        }
        return new Tuple(kinds, values);
    }

    private long streamXid(ByteBuffer b) {
        return inStream ? Integer.toUnsignedLong(b.getInt()) : 0;
    }

    private static void expect(ByteBuffer b, char c) {
        byte got = b.get();
        if (got != c) {
            throw new IllegalArgumentException("expected '" + c + "', found '" + (char) got + "'");
        }
    }

    private static Lsn lsn(ByteBuffer b) {
        return new Lsn(b.getLong());
    }

    private static Instant time(ByteBuffer b) {
        return PG_EPOCH.plus(b.getLong(), ChronoUnit.MICROS);
    }

    /** A NUL-terminated string in the server's encoding (UTF-8 for the databases Sluice captures). */
    private static String string(ByteBuffer b) {
        int end = b.position();
        while (end < b.limit() && b.get(end) != 0) {
            end++;
        }
        if (end == b.limit()) {
            throw new IllegalArgumentException("a string without its terminating NUL");
        }
        byte[] bytes = new byte[end - b.position()];
        b.get(bytes);
        b.get(); // the NUL
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
