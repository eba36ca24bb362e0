package io.sluice.capture.internal.pgoutput;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transactions the primary streams while they are still in progress (protocol 2 with
 * {@code streaming on}: a transaction past {@code logical_decoding_work_mem} is sent in blocks,
 * Stream Start … Stream Stop, before it commits). Each one's messages are spooled to a file of
 * its own in the order they came, with the xid the protocol adds inside a block taken out — so
 * the file holds exactly the messages protocol 1 would have sent for it — until its Stream Commit
 * hands them back, in order, to be framed like any transaction, or its Stream Abort drops them:
 * all of them, or those of a rolled-back subtransaction and of every subtransaction begun after it
 * (the same rule PostgreSQL's own apply worker follows for its spool files).
 *
 * <p>Nothing is confirmed to the primary for a streamed transaction until its frame is on Kafka;
 * a capture that stops loses its spool files, and the slot streams the transaction again from its
 * first block. A block that continues a transaction whose first block this capture never saw is
 * refused rather than framed without it. Not thread-safe: the engine's thread.
 */
final class StreamedTransactions implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamedTransactions.class);
    private static final String PREFIX = "streamed-";
    private static final String SUFFIX = ".spool";

    private final Path directory;
    private final Map<Long, Spool> spools = new HashMap<>();
    /** The transaction whose block is being received, 0 between blocks. */
    private long receiving;

    /** {@code directory}: where the spool files go; files a stopped capture left there are deleted. */
    StreamedTransactions(Path directory) {
        this.directory = directory;
        try {
            Files.createDirectories(directory);
            try (DirectoryStream<Path> stale = Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX)) {
                for (Path p : stale) {
                    Files.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("preparing the spool directory " + directory + " for streamed transactions", e);
        }
    }

    /**
     * Takes the message if it belongs to a streamed transaction — a block's start or stop, a
     * message inside a block, an abort — and holds or drops what it must.
     *
     * @param raw the message as the server sent it
     * @return whether the message was taken; a Stream Commit never is (see {@link #replay})
     */
    boolean take(PgOutputMessage message, ByteBuffer raw) {
        if (message instanceof PgOutputMessage.StreamStart s) {
            start(s);
            return true;
        }
        if (message instanceof PgOutputMessage.StreamStop) {
            receiving = 0;
            return true;
        }
        if (message instanceof PgOutputMessage.StreamAbort a) {
            abort(a);
            return true;
        }
        if (receiving == 0) {
            return false;
        }
        spools.get(receiving).append(subXid(message), raw);
        return true;
    }

    /** Hands the committed transaction's messages to {@code handler} in order, then forgets it. */
    void replay(PgOutputMessage.StreamCommit commit, Consumer<PgOutputMessage> handler) {
        Spool spool = spools.remove(commit.xid());
        if (spool == null) {
            throw new IllegalStateException("the primary committed streamed transaction " + commit.xid() + " at "
                    + commit.endLsn() + " but this capture holds none of its changes; restart capture so the slot streams"
                    + " it again from its first block");
        }
        try {
            spool.replay(handler);
        } finally {
            spool.delete();
        }
    }

    /** Transactions streamed but neither committed nor aborted yet. */
    int inProgress() {
        return spools.size();
    }

    private void start(PgOutputMessage.StreamStart s) {
        receiving = s.xid();
        Spool spool = spools.get(s.xid());
        if (s.firstSegment()) {
            if (spool != null) {
                log.warn("the primary streams transaction {} again from its first block; what was held of it is dropped", s.xid());
                spool.delete();
            }
            spools.put(s.xid(), new Spool(s.xid()));
        } else if (spool == null) {
            throw new IllegalStateException("the primary continued streamed transaction " + s.xid() + " whose first block"
                    + " this capture never received; restart capture so the slot streams it again from its first block");
        }
    }

    private void abort(PgOutputMessage.StreamAbort a) {
        Spool spool = spools.get(a.xid());
        if (spool == null) {
            return; // aborted before anything of it reached this capture
        }
        if (a.subXid() == a.xid()) {
            spools.remove(a.xid());
            spool.delete();
        } else {
            spool.rollBack(a.subXid());
        }
    }

    /** The subtransaction a data message inside a block belongs to; any other message there breaks the protocol. */
    private static long subXid(PgOutputMessage m) {
        if (m.streamXid() == 0) {
            throw new IllegalStateException("pgoutput message " + m.getClass().getSimpleName() + " inside a streamed block");
        }
        return m.streamXid();
    }

    @Override
    public void close() {
        spools.values().forEach(Spool::delete);
        spools.clear();
        receiving = 0;
    }

    /** One streamed transaction's messages: length-prefixed, xid removed, in a file of its own. */
    private final class Spool {
        private final long xid;
        private final Path file;
        private final FileChannel channel;
        private final DataOutputStream out;
        /** Where each subtransaction's first message starts, in the order they first appeared. */
        private final LinkedHashMap<Long, Long> subtransactions = new LinkedHashMap<>();
        private long size;

        Spool(long xid) {
            this.xid = xid;
            try {
                this.file = Files.createTempFile(directory, PREFIX + xid + "-", SUFFIX);
                this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
                this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
            } catch (IOException e) {
                throw new UncheckedIOException("creating a spool file for streamed transaction " + xid + " in " + directory, e);
            }
        }

        /** Appends the message without the 4-byte xid that follows its type byte inside a block. */
        void append(long subXid, ByteBuffer raw) {
            if (subXid != xid) {
                subtransactions.putIfAbsent(subXid, size);
            }
            int from = raw.position();
            int length = raw.remaining() - 4;
            try {
                out.writeInt(length);
                out.write(raw.get(from));
                if (raw.hasArray()) {
                    out.write(raw.array(), raw.arrayOffset() + from + 5, length - 1);
                } else {
                    for (int i = from + 5; i < raw.limit(); i++) {
                        out.write(raw.get(i));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("spooling streamed transaction " + xid + " to " + file, e);
            }
            size += 4L + length;
        }

        /** Drops what subtransaction {@code subXid} and those begun after it wrote. */
        void rollBack(long subXid) {
            Long offset = subtransactions.get(subXid);
            if (offset == null) {
                return; // it wrote nothing that was streamed
            }
            List<Long> later = new ArrayList<>();
            boolean after = false;
            for (Long s : subtransactions.keySet()) {
                after |= s.longValue() == subXid;
                if (after) {
                    later.add(s);
                }
            }
            later.forEach(subtransactions::remove);
            try {
                out.flush();
                channel.truncate(offset); // the channel's position moves back with it

            } catch (IOException e) {
                throw new UncheckedIOException("rolling back subtransaction " + subXid + " in " + file, e);
            }
            size = offset;
        }

        void replay(Consumer<PgOutputMessage> handler) {
            PgOutputDecoder decoder = new PgOutputDecoder();
            try {
                out.close();
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
                    long read = 0;
                    while (read < size) {
                        int length;
                        try {
                            length = in.readInt();
                        } catch (EOFException e) {
                            throw new IllegalStateException("spool file " + file + " of streamed transaction " + xid
                                    + " ends at byte " + read + " of " + size);
                        }
                        handler.accept(decoder.decode(ByteBuffer.wrap(in.readNBytes(length))));
                        read += 4L + length;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading back streamed transaction " + xid + " from " + file, e);
            }
        }

        void delete() {
            try {
                out.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("cannot remove spool file {}: {}", file, e.getMessage());
            }
        }
    }
}
