package io.sluice.applier;

import io.sluice.applier.internal.Bookkeeping;
import io.sluice.applier.internal.Bookkeeping.Watermark;
import io.sluice.applier.internal.DdlSync;
import io.sluice.applier.internal.EpochGate;
import io.sluice.applier.internal.FollowerLock;
import io.sluice.applier.internal.GroupCollapser;
import io.sluice.applier.internal.RowSink;
import io.sluice.applier.internal.RowWriter;
import io.sluice.applier.internal.SchemaGuard;
import io.sluice.applier.internal.SchemaSync;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.DirectSnapshotMessage;
import io.sluice.format.EpochMarker;
import io.sluice.format.EventCodec;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.SequenceState;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one source's stream to one PostgreSQL follower, transaction by transaction, exactly
 * once in effect.
 *
 * <p>Each source transaction is applied inside a follower transaction together with the
 * watermark row ({@code sluice.watermark}: commit LSN, xid, commit time, stream offset); small
 * consecutive transactions are grouped into one follower transaction while a backlog is read,
 * and a huge one streams into one open follower transaction. On start (and after any retriable
 * failure) the applier seeks to the follower's own watermark; a frame at or below it is skipped.
 * A frame cut short on the stream is rolled back and skipped. Errors: SQLSTATE classes 08, 40,
 * 53, 57 retry with backoff; anything else stops the applier with the source LSN, table, key and
 * column or the topic-partition-offset in the message.
 *
 * <p>Two threads: the <em>stream thread</em> polls Kafka, decodes, frames and collapses; the
 * <em>follower thread</em> executes what it is handed on the follower, in order, one follower
 * transaction per group. The stream thread reads group N+1 while the follower writes group N; at
 * most two groups wait between them. Anything that must see the follower idle (a rewind, a
 * retry, stopping) first waits for the follower thread to finish what it was given.
 *
 * <p>Lifecycle {@code NEW → RUNNING → STOPPED}, or {@code FAILED}. Methods are thread-safe.
 */
public final class StreamApplier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamApplier.class);

    public enum State { NEW, RUNNING, STOPPING, STOPPED, FAILED }

    /** What was applied: the follower committed everything up to this source transaction. */
    public record Applied(Lsn commitLsn, long xid, Instant commitTime, long streamOffset, Instant appliedAt) { }

    private final ApplierConfig config;
    private final String topic;
    private final TopicPartition partition;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<Applied> applied = new AtomicReference<>();
    private final Consumer<Applied> listener;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Set<Long> voidFrames = new HashSet<>();
    private final SchemaSync schemas = new SchemaSync();
    private final DdlSync ddls = new DdlSync(schemas);
    private GroupCollapser collapser = new GroupCollapser();
    private final FollowerThread follower = new FollowerThread();
    private final EpochGate gate;
    /** The epoch this follower was promoted to primary at, once its applier met that marker. */
    private volatile Long promotedIn;
    /** The latest sequence state read and not yet kept on the follower, and its offset (stream thread only). */
    private byte[] pendingSequences;
    private long pendingSequencesOffset;
    /** Work of the open group not yet handed to the follower thread (stream thread only). */
    private List<Work> pending = new java.util.ArrayList<>();
    /** The last source transaction handed to the follower thread, committed or not (stream thread only). */
    private Lsn queuedThrough;
    /** Whether {@link #pending} holds collapsed rows; the offset of the event being handled (stream thread only). */
    private boolean pendingCollapsed;
    private long currentOffset;
    /**
     * Events up to this stream offset are applied in source order, not collapsed: a collapsed
     * group that broke a unique or exclusion constraint is applied again this way (collapsing
     * reorders rows within a group, which a constraint between rows can refuse).
     */
    private long orderedThrough = -1;
    /**
     * Up to this stream offset each source transaction is a follower transaction of its own: an enum
     * label added in a follower transaction cannot be used before it commits (PostgreSQL's rule), so
     * a group that added one and then used it failed, and is applied again this way.
     */
    private long framePerGroupThrough = -1;
    private static final String NEW_ENUM_LABEL_USED = "55P04";
    private volatile boolean running;
    private KafkaConsumer<byte[], java.nio.ByteBuffer> consumer;
    private FollowerLock lock;
    /**
     * Where this applier last saw the follower's watermark (read at a seek, then its own commits);
     * a commit moves it only from there. Written by the stream thread while the follower thread is
     * idle, and by the follower thread.
     */
    private volatile Bookkeeping.Position watermarkSeen;
    /** How often the stream thread confirms the applier lock is still held. */
    static final Duration LOCK_CHECK_INTERVAL = Duration.ofSeconds(5);
    private Connection connection;
    private RowWriter writer;
    private Thread thread;

    // The open group (one follower transaction) and the frame being read.
    private long groupStartOffset = -1;
    private int groupFrames;
    private int groupEvents;
    private Applied groupLast;
    private Lsn groupFirstLsn;
    /** The promotion marker the open group moves the watermark to, and the previous epoch's last commit. */
    private EpochMarker groupEntered;
    private Lsn groupFork;
    private long[] groupXids = new long[64];
    private int groupXidCount;
    /** Once a minute: (when, watermark), to prune applied-group rows older than the retention. */
    private final java.util.ArrayDeque<Map.Entry<Instant, Lsn>> retentionMarks = new java.util.ArrayDeque<>();
    /** How long {@code sluice.applied_group} keeps a group: tokens older than this are judged by LSN alone. */
    public static final Duration APPLIED_GROUP_RETENTION = Duration.ofHours(1);
    private int maxPollRecords;
    /**
     * The open group's size limit in transactions: it starts small and doubles with every full
     * group up to the configured maximum, so a catch-up gives the follower thread work within
     * milliseconds instead of after a whole maximum-size group has been read; back to the start
     * whenever the applier has caught up.
     */
    private int groupLimit;
    private static final int FIRST_GROUP_TRANSACTIONS = 250;
    private long lastAcknowledged = -1;
    private long lastAcknowledgedAt = System.nanoTime();
    private Frame frame;

    private static final class Frame {
        final long beginOffset;
        final ChangeEvent.Begin begin;
        final boolean skip;
        long events;

        Frame(long beginOffset, ChangeEvent.Begin begin, boolean skip) {
            this.beginOffset = beginOffset;
            this.begin = begin;
            this.skip = skip;
        }
    }

    public StreamApplier(ApplierConfig config) {
        this(config, a -> { });
    }

    /** {@code listener} is told, on the applier's follower thread, of every follower commit. */
    public StreamApplier(ApplierConfig config, Consumer<Applied> listener) {
        this.config = config;
        this.topic = TopicNames.stream(config.sourceId());
        this.partition = new TopicPartition(topic, 0);
        this.listener = listener;
        this.gate = new EpochGate(config.followerName(), topic, java.time.Clock.systemUTC());
    }

    /**
     * Migrates the bookkeeping schema, reads the watermark, and starts applying on a new thread.
     *
     * @throws ApplierException when the follower cannot be reached or migrated
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("applier cannot start: expected state NEW but it is " + state.get());
        }
        // A process's first Kafka consumer and its first Flyway run each load and run much code for
        // the first time (~0.4-0.8 s apiece on the 2-core build machine): side by side, not in turn.
        FutureTask<KafkaConsumer<byte[], java.nio.ByteBuffer>> newConsumer = new FutureTask<>(() -> {
            // Values as slices of the fetched batch: decoded in place, never copied into a byte[] of their own.
            KafkaConsumer<byte[], java.nio.ByteBuffer> c =
                    new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteBufferDeserializer());
            c.assign(List.of(partition));
            return c;
        });
        new Thread(newConsumer, "sluice-applier-" + config.followerName() + "-start").start();
        try {
            Bookkeeping.migrate(config.jdbcUrl(), config.connection());
            lock = new FollowerLock(config.jdbcUrl(), config.connection(), config.sourceId(), config.followerName(),
                    LOCK_CHECK_INTERVAL);
            lock.acquire();
            connect();
            consumer = await(newConsumer);
            // The running applier prunes once a minute from marks it keeps in memory; what older
            // runs left behind goes here.
            Bookkeeping.pruneOlderThan(connection, config.sourceId(), APPLIED_GROUP_RETENTION);
            connection.commit();
            seekToWatermark();
        } catch (SQLException | RuntimeException e) {
            state.set(State.FAILED);
            failure.set(e);
            if (consumer == null) {
                try {
                    consumer = await(newConsumer); // closed below
                } catch (RuntimeException alsoFailed) {
                    if (alsoFailed != e) {
                        e.addSuppressed(alsoFailed);
                    }
                }
            }
            closeQuietly();
            throw e instanceof ApplierException ae ? ae
                    : new ApplierException("applier for follower " + config.followerName() + " cannot start: " + e.getMessage(),
                    e instanceof SQLException s && retriable(s), e);
        }
        running = true;
        follower.start("sluice-applier-" + config.followerName() + "-follower");
        thread = new Thread(this::run, "sluice-applier-" + config.followerName());
        thread.start();
        log.info("applier running: {} -> {} from {}", topic, config.followerName(),
                Optional.ofNullable(applied.get()).map(a -> "watermark " + a.commitLsn()).orElse("the start of the stream"));
    }

    private static <T> T await(FutureTask<T> task) {
        try {
            return task.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the Kafka consumer was being created", e);
        }
    }

    private Map<String, Object> consumerProperties() {
        Map<String, Object> p = new HashMap<>(config.kafka());
        p.put("group.id", TopicNames.applierGroup(config.sourceId(), config.followerName()));
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "none");
        p.putIfAbsent("max.poll.records", "5000");
        maxPollRecords = Integer.parseInt(p.get("max.poll.records").toString());
        p.putIfAbsent("fetch.max.wait.ms", "10");
        p.putIfAbsent("max.partition.fetch.bytes", String.valueOf(16 * 1024 * 1024));
        p.putIfAbsent("fetch.max.bytes", String.valueOf(64 * 1024 * 1024));
        p.putIfAbsent("client.id", "sluice-applier-" + config.followerName());
        return p;
    }

    private void connect() throws SQLException {
        Properties p = config.connection();
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("stringtype", "unspecified");
        p.setProperty("ApplicationName", "sluice-applier-" + config.followerName());
        connection = DriverManager.getConnection(config.jdbcUrl(), p);
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            // Like native logical replication: no user triggers or FK checks fire on applied rows.
            st.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            connection.rollback();
            log.warn("follower {}: cannot SET session_replication_role = replica ({}); triggers will fire on applied rows",
                    config.followerName(), e.getMessage());
        }
        connection.commit();
        try (Statement st = connection.createStatement()) {
            // The multi-row UPDATE/DELETE join an unnest of keys to the table. Costed with the
            // default random_page_cost (4, spinning disks), PostgreSQL hashes the whole table
            // (a sequential scan per statement) rather than probe the key's index for each row;
            // a follower being applied to is hot in memory, so tell the planner random reads are
            // cheap. A table without an index still gets its hash join. No JIT for short DML.
            st.execute("SET random_page_cost = 1.1");
            st.execute("SET jit = off");
        }
        connection.commit();
        writer = new RowWriter(connection, schemas);
        schemas.reset();
    }

    private int firstGroupLimit() {
        return Math.min(FIRST_GROUP_TRANSACTIONS, config.maxGroupTransactions());
    }

    private void seekToWatermark() throws SQLException {
        groupLimit = firstGroupLimit();
        Optional<Watermark> w = Bookkeeping.read(connection, config.sourceId());
        connection.commit();
        if (w.isPresent()) {
            Watermark m = w.get();
            if (config.followerName().equals(m.epochFollower())) {
                throw new ApplierException("follower " + config.followerName() + " was promoted to primary at epoch " + m.epoch()
                        + " of source " + config.sourceId() + ": it is a primary now and applies no stream (docs/failover.md;"
                        + " to make it a follower again, rebuild it from the new primary)", false, null);
            }
            gate.reset(m.epoch());
            watermarkSeen = new Bookkeeping.Position(m.commitLsn(), m.streamOffset());
            applied.set(new Applied(m.commitLsn(), m.xid(), m.commitTime(), m.streamOffset(), m.appliedAt()));
            queuedThrough = m.commitLsn();
            if (m.streamOffset() < 0) {
                consumer.seekToBeginning(List.of(partition)); // seeded by a direct snapshot: skip by commit LSN
            } else {
                consumer.seek(partition, m.streamOffset() + 1);
            }
        } else {
            gate.reset(0);
            applied.set(null);
            watermarkSeen = null;
            queuedThrough = null;
            consumer.seekToBeginning(List.of(partition));
        }
        clearGroup();
    }

    private void run() {
        long backoffMs = 100;
        try {
            while (running) {
                try {
                    pollAndApply();
                    backoffMs = 100;
                } catch (WakeupException e) {
                    // close() asked us to stop
                } catch (SQLException e) {
                    Segment failed = follower.failedSegment;
                    if (orderingConflict(e) && failed != null && failed.collapsed()) {
                        log.warn("follower {}: a collapsed group broke a constraint between rows ({}); applying the source"
                                + " transactions up to stream offset {} again in source order", config.followerName(),
                                e.getMessage(), failed.endOffset());
                        orderedThrough = Math.max(orderedThrough, failed.endOffset());
                        recover(e, 0);
                        continue;
                    }
                    if (NEW_ENUM_LABEL_USED.equals(e.getSQLState()) && failed != null) {
                        log.warn("follower {}: a source transaction used an enum label an earlier one of the same group added ({});"
                                + " applying the source transactions up to stream offset {} again, one per follower transaction",
                                config.followerName(), e.getMessage(), failed.endOffset());
                        framePerGroupThrough = Math.max(framePerGroupThrough, failed.endOffset());
                        recover(e, 0);
                        continue;
                    }
                    if (!retriable(e)) {
                        throw new ApplierException(describe(e), false, e);
                    }
                    backoffMs = recover(e, backoffMs);
                } catch (ApplierException e) {
                    if (!e.retriable()) {
                        throw e;
                    }
                    backoffMs = recover(e, backoffMs);
                }
            }
            follower.stop(); // nothing commits after the state says STOPPED
            state.set(State.STOPPED);
        } catch (RuntimeException | Error e) {
            follower.stop(); // nor after it says FAILED
            // Never die silently: an Error (e.g. pgjdbc < 42.7.13's AssertionError on a connection
            // killed mid-batch under -ea) also leaves the applier FAILED, for a supervisor to see.
            failure.set(e);
            state.set(State.FAILED);
            log.error("applier for follower {} stopped at watermark {}: {}", config.followerName(),
                    Optional.ofNullable(applied.get()).map(Applied::commitLsn).orElse(Lsn.ZERO), e.toString());
            if (e instanceof VirtualMachineError vm) {
                throw vm;
            }
        } finally {
            follower.stop();
            closeQuietly();
            stopped.countDown();
        }
    }

    private String describe(SQLException e) {
        String where = follower.failedWhere != null ? " " + follower.failedWhere
                : frame != null ? " in source transaction xid " + frame.begin.header().xid() + " at LSN "
                + frame.begin.header().commitLsn() : "";
        return "the follower " + config.followerName() + " refused a change" + where + ": " + e.getMessage()
                + " [SQLSTATE " + e.getSQLState() + "]";
    }

    /** Rolls back, reconnects with backoff and resumes from the follower's watermark. */
    private long recover(Exception cause, long backoffMs) {
        log.warn("follower {}: retriable failure, resuming from the watermark in {} ms: {}", config.followerName(),
                backoffMs, cause.getMessage());
        follower.awaitIdle();
        follower.clearFailure();
        closeConnectionQuietly();
        sleep(backoffMs);
        long next = Math.min(backoffMs * 2, config.retryBackoffMax().toMillis());
        try {
            lock.check();
            connect();
            seekToWatermark();
        } catch (SQLException e) {
            if (!retriable(e)) {
                throw new ApplierException(describe(e), false, e);
            }
            log.warn("follower {}: still unreachable: {}", config.followerName(), e.getMessage());
        }
        return next;
    }

    private void pollAndApply() throws SQLException {
        follower.rethrowFailure();
        lock.check();
        if (connection == null) {
            throw new ApplierException("no follower connection", true, null);
        }
        acknowledgeApplied();
        ConsumerRecords<byte[], java.nio.ByteBuffer> recs = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], java.nio.ByteBuffer> r : recs) {
            List<ChangeEvent> run;
            try {
                run = EventCodec.decodeAll(r.value());
            } catch (FormatException ex) {
                throw new ApplierException("bad event at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                        + ex.getMessage() + "; the follower stays at its last good watermark", false, ex);
            }
            if (gate.refuses(run, r.offset())) {
                continue; // written by a capture of a replaced primary: not the stream's history
            }
            // A record holds one event or a run of one frame's events; a frame always starts a
            // record, so a frame is known by its record's offset.
            for (ChangeEvent e : run) {
                if (!e.header().source().equals(config.sourceId())) {
                    throw new ApplierException("event for source '" + e.header().source() + "' at " + r.topic() + "-"
                            + r.partition() + "@" + r.offset() + " on the stream of source '" + config.sourceId() + "'", false, null);
                }
                String refused = e instanceof ChangeEvent.SchemaChange s ? SchemaGuard.refusal(s) : null;
                if (refused != null) {
                    throw new ApplierException("bad event at " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                            + refused + "; the follower stays at its last good watermark", false, null);
                }
                currentOffset = r.offset();
                if (!handle(e, r.offset())) {
                    return; // rewound: a cut-short frame was found
                }
                if (frame == null && groupLast != null
                        && (groupFrames >= groupLimit || groupEvents >= config.maxGroupEvents() || currentOffset <= framePerGroupThrough)) {
                    commitGroup();
                    groupLimit = Math.min(config.maxGroupTransactions(), groupLimit * 2);
                }
            }
        }
        // More waiting on the stream (by the lag the last fetch reported, or a full poll when it
        // reported none), or a poll that found a backlog while the follower thread is still busy
        // with the group before (this one would only wait behind it): keep the group open to grow
        // it, bounded by the group limits above. Otherwise commit now, latency comes first.
        if (frame == null && !moreWaiting(recs.count())
                && !(recs.count() >= BACKLOG_POLL_RECORDS && groupLast != null && follower.busy())) {
            commitGroup();
            groupLimit = firstGroupLimit();
            acknowledgeIdle();
        }
    }

    /** A poll of this many records found a backlog (at a steady rate a poll holds one or two). */
    private static final int BACKLOG_POLL_RECORDS = 32;

    private boolean moreWaiting(int polledRecords) {
        java.util.OptionalLong lag = consumer.currentLag(partition);
        return lag.isPresent() ? lag.getAsLong() > 0 : polledRecords >= maxPollRecords;
    }

    /**
     * Commits the offset after the last applied transaction as the consumed-offset hint, at most
     * once a second: each commit is a write to the broker's offsets topic, and the monitor reads
     * the applied position from the watermark anyway.
     */
    private void acknowledgeApplied() {
        Applied done = applied.get();
        long now = System.nanoTime();
        if (done != null && done.streamOffset() + 1 > lastAcknowledged && now - lastAcknowledgedAt > 1_000_000_000L) {
            consumer.commitAsync(Map.of(partition, new OffsetAndMetadata(done.streamOffset() + 1)), StreamApplier::hintCommitted);
            lastAcknowledged = done.streamOffset() + 1;
            lastAcknowledgedAt = now;
        }
    }

    /**
     * Between transactions, heartbeats are read but start no follower transaction; the consumed
     * offset is still committed (at most once a second) so that the lag monitor's transport lag is
     * zero on an idle stream. Only a hint: restarts seek to the watermark.
     */
    private void acknowledgeIdle() {
        if (groupStartOffset >= 0) {
            return;
        }
        long position = consumer.position(partition);
        long now = System.nanoTime();
        if (position > lastAcknowledged && now - lastAcknowledgedAt > 1_000_000_000L) {
            consumer.commitAsync(Map.of(partition, new OffsetAndMetadata(position)), StreamApplier::hintCommitted);
            lastAcknowledged = position;
            lastAcknowledgedAt = now;
        }
    }

    /** Returns false when it rewound the consumer. */
    private boolean handle(ChangeEvent e, long offset) throws SQLException {
        if (e.header().epoch() != gate.epoch()) {
            Optional<EpochMarker> marker = gate.marker(e, offset);
            if (marker.isPresent()) {
                return enterEpoch(marker.get(), offset);
            }
        }
        Lsn done = queuedThrough;
        if (e instanceof ChangeEvent.Begin b) {
            if (frame != null) {
                return rewindPast(frame, "a new BEGIN at offset " + offset);
            }
            Lsn lsn = b.header().commitLsn();
            boolean duplicate = done != null && lsn.isAtOrBefore(done)
                    || groupLast != null && lsn.isAtOrBefore(groupLast.commitLsn());
            boolean operatorSkip = config.skipCommitLsn().map(lsn::equals).orElse(false);
            if (groupStartOffset < 0) {
                groupStartOffset = offset;
            }
            frame = new Frame(offset, b, duplicate || operatorSkip || voidFrames.contains(offset));
            if (operatorSkip && !duplicate) {
                log.warn("SKIPPING source transaction xid {} at {} on operator request (recorded in sluice.skipped_transaction)",
                        b.header().xid(), lsn);
                long xid = b.header().xid();
                pending.add(() -> Bookkeeping.recordSkip(connection, config.sourceId(), lsn, xid, "operator request"));
            }
            return true;
        }
        if (e instanceof ChangeEvent.Heartbeat || e instanceof ChangeEvent.Message m && !m.transactional()) {
            if (frame != null) {
                return rewindPast(frame, "a " + e.kind() + " at offset " + offset);
            }
            if (e instanceof ChangeEvent.Message m && SequenceState.is(m)) {
                pendingSequences = m.content(); // kept with the next group the follower commits
                pendingSequencesOffset = offset;
            }
            return true;
        }
        if (frame == null) {
            if (done != null && e.header().commitLsn().isAtOrBefore(done)) {
                return true; // the tail of a frame applied before; we resumed inside it
            }
            throw new ApplierException("the stream resumes inside source transaction xid " + e.header().xid() + " at "
                    + topic + "-0@" + offset + " whose BEGIN was never read; the follower has not applied it", false, null);
        }
        if (e instanceof ChangeEvent.Commit c) {
            Frame f = frame;
            frame = null;
            if (f.skip && !config.skipCommitLsn().map(c.header().commitLsn()::equals).orElse(false)) {
                return true;
            }
            if (!f.skip && c.eventCount() != f.events) {
                throw new ApplierException("frame of xid " + c.header().xid() + " at " + c.header().commitLsn() + " announces "
                        + c.eventCount() + " events but carried " + f.events + " (" + topic + "-0@" + offset + ")", false, null);
            }
            groupLast = new Applied(c.header().commitLsn(), c.header().xid(), c.header().commitTime(), offset, null);
            if (groupFirstLsn == null) {
                groupFirstLsn = c.header().commitLsn();
            }
            if (!f.skip) {
                if (groupXidCount == groupXids.length) {
                    groupXids = java.util.Arrays.copyOf(groupXids, groupXids.length * 2);
                }
                groupXids[groupXidCount++] = c.header().xid();
            }
            groupFrames++;
            return true;
        }
        if (frame.skip) {
            return true;
        }
        frame.events++;
        groupEvents++;
        apply(e);
        return true;
    }

    /** Most work items, and most COPY text of copy events, held before a part of a huge group is handed to the follower thread. */
    private static final int MAX_PENDING_WORK = 10_000;
    private static final int MAX_PENDING_COPY_BYTES = 8 * 1024 * 1024;
    private long pendingCopyBytes;

    private void apply(ChangeEvent e) throws SQLException {
        if (GroupCollapser.accepts(e) && !changesKey(e) && currentOffset > orderedThrough) {
            collapser.add(e);
            if (collapser.size() >= config.maxGroupEvents()) {
                handOffPart(); // a huge transaction: write out and keep going in the same follower transaction
            }
            return;
        }
        handOffCollapser(); // keep order with what cannot be collapsed
        if (e instanceof ChangeEvent.Insert i) {
            pending.add(() -> writer.insert(i));
        } else if (e instanceof ChangeEvent.Update u) {
            pending.add(() -> writer.update(u));
        } else if (e instanceof ChangeEvent.Delete d) {
            pending.add(() -> writer.delete(d));
        } else if (e instanceof ChangeEvent.Truncate t) {
            pending.add(() -> writer.truncate(t));
        } else if (e instanceof CopyEvent c) {
            pending.add(() -> writer.copy(c));
            pendingCopyBytes += c.text().remaining();
        } else if (e instanceof ChangeEvent.SchemaChange s) {
            String at = partition + "@" + currentOffset;
            pending.add(() -> {
                writer.flush();
                schemas.apply(connection, s, at);
            });
        } else if (e instanceof ChangeEvent.Message m && DirectSnapshotMessage.is(m)) {
            throw withoutDirectSnapshot(m, partition + "@" + currentOffset);
        } else if (e instanceof ChangeEvent.Message m && m.transactional() && m.prefix().equals(DdlMessage.PREFIX)) {
            String at = partition + "@" + currentOffset;
            DdlMessage ddl;
            try {
                ddl = DdlMessage.parse(m.content());
            } catch (FormatException ex) {
                throw new ApplierException("bad DDL message at " + at + ": " + ex.getMessage()
                        + "; the follower stays at its last good watermark", false, ex);
            }
            pending.add(() -> {
                writer.flush();
                ddls.apply(connection, ddl, m.header(), at);
            });
        }
        // Other transactional messages carry no rows; they pass with their frame.
        if (pending.size() >= MAX_PENDING_WORK || pendingCopyBytes >= MAX_PENDING_COPY_BYTES) {
            handOffPart();
        }
    }

    /**
     * A direct snapshot's frame reached while applying: its rows are only on the followers it names.
     * If this follower was seeded meanwhile (its watermark is now at the frame), the applier restarts
     * from that watermark and skips the frame; otherwise it stops.
     */
    private ApplierException withoutDirectSnapshot(ChangeEvent.Message m, String at) throws SQLException {
        List<String> holders;
        try {
            holders = DirectSnapshotMessage.parse(m.content()).followers();
        } catch (FormatException ex) {
            return new ApplierException("bad direct-snapshot marker at " + at + ": " + ex.getMessage(), false, ex);
        }
        Lsn lsn = m.header().commitLsn();
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.connection())) {
            Optional<Watermark> now = Bookkeeping.read(c, config.sourceId());
            if (now.isPresent() && lsn.isAtOrBefore(now.get().commitLsn())) {
                return new ApplierException("follower " + config.followerName() + " was seeded by the direct snapshot at "
                        + lsn + " while this applier read it; restarting from the watermark", true, null);
            }
        }
        return new ApplierException("the snapshot frame at " + at + " (commit LSN " + lsn + ") was taken by the direct path:"
                + " its rows were copied straight into followers " + holders + " and are not on the stream, and follower "
                + config.followerName() + " has no watermark at or past it. Seed it the same way (capture.snapshot.direct,"
                + " docs/capture.md) or snapshot the source into a new stream; the follower is left as it was", false, null);
    }

    /** Turns the collapsed rows so far into work items, one per statement; the collapser is empty afterwards. */
    private void handOffCollapser() {
        if (collapser.size() > 0) {
            // Each key's final state is sorted into statements, and their values turned into text
            // (COPY text, text arrays), here on the stream thread; the follower thread, which with
            // the follower's backend is the serial path, only runs them.
            try {
                collapser.flushTo(new RowSink() {
                    @Override
                    public void deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) {
                        RowWriter.ColumnTexts texts = RowWriter.deleteTexts(key, rows);
                        pending.add(() -> writer.deleteMany(table, key, rows, texts));
                    }

                    @Override
                    public void updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
                        RowWriter.ColumnTexts texts = RowWriter.updateTexts(key, set, rows);
                        pending.add(() -> writer.updateMany(table, key, set, rows, texts));
                    }

                    @Override
                    public void insertMany(TableId table, List<String> cols, List<ChangeEvent.Insert> rows) {
                        RowWriter.CopyText text = RowWriter.copyText(cols, rows);
                        pending.add(() -> writer.insertMany(table, cols, rows, text));
                    }
                });
            } catch (SQLException cannot) {
                throw new IllegalStateException("collecting statements does not touch the follower", cannot);
            }
            pendingCollapsed = true;
        }
    }

    /** Hands the open group's work so far to the follower thread, without committing. */
    private void handOffPart() throws SQLException {
        handOffCollapser();
        if (!pending.isEmpty()) {
            String where = frame != null ? "in source transaction xid " + frame.begin.header().xid() + " at LSN "
                    + frame.begin.header().commitLsn() : "in the group after LSN " + queuedThrough;
            submitPending(null, where, currentOffset);
        }
    }

    /** Hands the work gathered so far to the follower thread, with the group's commit when it ends the group. */
    private void submitPending(GroupCommit commit, String where, long endOffset) throws SQLException {
        follower.submit(new Segment(pending, commit, where, pendingCollapsed, endOffset));
        pending = new java.util.ArrayList<>();
        pendingCollapsed = false;
        pendingCopyBytes = 0;
    }

    private static boolean changesKey(ChangeEvent e) {
        if (e instanceof ChangeEvent.Update u && !u.before().isEmpty()) {
            for (String k : u.key()) {
                if (!u.before().get(k).equals(u.after().get(k))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A frame ended without COMMIT: undo the open group, remember the frame as void, read again. */
    private boolean rewindPast(Frame cut, String why) throws SQLException {
        log.warn("source transaction xid {} at {} (offset {}) was cut short on the stream ({}); it is void and skipped",
                cut.begin.header().xid(), cut.begin.header().commitLsn(), cut.beginOffset, why);
        voidFrames.add(cut.beginOffset);
        follower.awaitIdle();
        follower.rethrowFailure();
        connection.rollback();
        collapser.clear();
        pending.clear();
        pendingCollapsed = false;
        pendingCopyBytes = 0;
        writer.reset();
        schemas.reset();
        consumer.seek(partition, groupStartOffset >= 0 ? groupStartOffset : cut.beginOffset);
        clearGroup();
        return false;
    }

    /**
     * A promotion marker: what came before it is committed, then the marker moves the watermark into
     * the new epoch (its commit LSNs start again), in a follower transaction of its own. On the
     * follower that was promoted the applier then stops: the stream after the marker is its own.
     * Returns false when the applier stops or rewound.
     */
    private boolean enterEpoch(EpochMarker marker, long offset) throws SQLException {
        if (frame != null) {
            return rewindPast(frame, "an epoch marker at offset " + offset);
        }
        commitGroup();
        groupFork = queuedThrough;
        groupEntered = marker;
        groupStartOffset = offset;
        groupFirstLsn = Lsn.ZERO;
        groupLast = new Applied(Lsn.ZERO, 0, marker.promotedAt(), offset, null);
        commitGroup();
        gate.enter(marker, offset);
        if (!marker.follower().equals(config.followerName())) {
            return true;
        }
        follower.awaitIdle();
        follower.rethrowFailure();
        promotedIn = marker.epoch();
        running = false;
        log.info("follower {} was promoted to primary at epoch {}: it has applied the stream up to the marker at {}-0@{} and"
                + " applies no more of it", config.followerName(), marker.epoch(), topic, offset);
        return false;
    }

    /** The epoch this follower was promoted to primary at, once its applier stopped at that marker. */
    public Optional<Long> promotedIn() {
        return Optional.ofNullable(promotedIn);
    }

    /** Records of an older epoch this applier refused (a capture of a replaced primary writing). */
    public long refusedRecords() {
        return gate.refused();
    }

    /** Hands the open group to the follower thread to be written and committed with its watermark. */
    private void commitGroup() throws SQLException {
        if (groupLast == null) {
            if (groupStartOffset >= 0 && frame == null) {
                clearGroup(); // only skipped duplicates: nothing to write
            }
            return;
        }
        handOffCollapser();
        GroupCommit commit = new GroupCommit(groupLast, groupFrames, groupFirstLsn,
                java.util.Arrays.copyOf(groupXids, groupXidCount), groupEntered, groupFork, pendingSequences,
                pendingSequencesOffset);
        pendingSequences = null;
        submitPending(commit, "in the group of source transactions " + groupFirstLsn + " to " + groupLast.commitLsn(),
                groupLast.streamOffset());
        queuedThrough = groupLast.commitLsn();
        clearGroup();
    }

    /** On the follower thread: writes what the group still holds, moves the watermark, commits. */
    private void commitOnFollower(GroupCommit g) throws SQLException {
        writer.flush();
        Applied last = g.last();
        Bookkeeping.advance(connection, config.sourceId(), watermarkSeen, last.commitLsn(), last.xid(), last.commitTime(),
                last.streamOffset(), g.frames(), g.firstLsn(), g.xids(), g.xids().length);
        if (g.entered() != null) {
            Bookkeeping.enterEpoch(connection, config.sourceId(), g.entered(), g.fork());
        }
        if (g.sequences() != null) {
            Bookkeeping.keepSequences(connection, config.sourceId(), g.sequences(), g.sequencesOffset());
        }
        pruneAppliedGroups(last.commitLsn());
        connection.commit();
        watermarkSeen = new Bookkeeping.Position(last.commitLsn(), last.streamOffset());
        Applied done = new Applied(last.commitLsn(), last.xid(), last.commitTime(), last.streamOffset(), Instant.now());
        applied.set(done);
        listener.accept(done);
    }

    /** One piece of follower work, run on the follower thread. */
    @FunctionalInterface
    private interface Work {
        void run() throws SQLException;
    }

    /** What a group commits with: its bookkeeping, and a promotion marker or sequence state it carries. */
    private record GroupCommit(Applied last, int frames, Lsn firstLsn, long[] xids, EpochMarker entered, Lsn fork,
                               byte[] sequences, long sequencesOffset) { }

    /**
     * Work for the follower thread; with a commit it ends a group, without one it is part of a huge
     * group. {@code collapsed}: it writes collapsed rows; {@code endOffset}: the last stream offset it covers.
     */
    private record Segment(List<Work> work, GroupCommit commit, String where, boolean collapsed, long endOffset) { }

    /**
     * Runs segments on the follower connection, in order. A failure stops it from running anything
     * more until the stream thread, having seen the failure, clears it (after a reconnect).
     */
    private final class FollowerThread {
        private final java.util.concurrent.BlockingQueue<Segment> queue = new java.util.concurrent.ArrayBlockingQueue<>(2);
        private final Segment stop = new Segment(List.of(), null, "stop", false, -1);
        private final Object lock = new Object();
        private long submitted;
        private long completed;
        private volatile Throwable failure;
        private volatile String failedWhere;
        private volatile Segment failedSegment;
        private volatile boolean discard;
        private Thread worker;

        void start(String name) {
            worker = new Thread(this::loop, name);
            worker.setDaemon(true);
            worker.start();
        }

        void submit(Segment s) throws SQLException {
            rethrowFailure();
            synchronized (lock) {
                submitted++;
            }
            try {
                queue.put(s);
            } catch (InterruptedException e) {
                synchronized (lock) {
                    submitted--;
                }
                Thread.currentThread().interrupt();
                throw new ApplierException("interrupted while handing work to the follower thread", true, e);
            }
        }

        private void loop() {
            while (true) {
                Segment s;
                try {
                    s = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                if (s == stop) {
                    return;
                }
                if (failure == null && !discard) {
                    try {
                        for (Work w : s.work()) {
                            w.run();
                        }
                        if (s.commit() != null) {
                            commitOnFollower(s.commit());
                        }
                    } catch (Throwable t) {
                        failedWhere = s.where();
                        failedSegment = s;
                        failure = t;
                    }
                }
                synchronized (lock) {
                    completed++;
                    lock.notifyAll();
                }
            }
        }

        /** Whether work handed over has not finished running yet. */
        boolean busy() {
            synchronized (lock) {
                return completed < submitted;
            }
        }

        /** Waits until everything handed over has run (or been dropped after a failure). */
        void awaitIdle() {
            synchronized (lock) {
                while (completed < submitted) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        void rethrowFailure() throws SQLException {
            Throwable t = failure;
            if (t == null) {
                return;
            }
            if (t instanceof SQLException e) {
                throw e;
            } else if (t instanceof RuntimeException e) {
                throw e;
            } else if (t instanceof Error e) {
                throw e;
            }
            throw new ApplierException("the follower thread failed: " + t, false, t);
        }

        void clearFailure() {
            failure = null;
            failedWhere = null;
            failedSegment = null;
        }

        /**
         * Drops what is still queued (it is applied again from the watermark), lets the segment in
         * hand finish, and ends the thread. Idempotent.
         */
        void stop() {
            if (worker == null || !worker.isAlive()) {
                return;
            }
            discard = true;
            try {
                queue.put(stop);
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The committed offset is a hint for the lag monitor; a failed commit is retried by the next one. */
    private static void hintCommitted(Map<TopicPartition, OffsetAndMetadata> offsets, Exception e) {
        if (e != null) {
            log.debug("committing the consumed offset {} failed (the next commit retries): {}", offsets, e.toString());
        }
    }

    /**
     * Once a minute, in the apply transaction: remembers the watermark, and deletes
     * {@code sluice.applied_group} rows below the watermark of {@link #APPLIED_GROUP_RETENTION} ago.
     */
    private void pruneAppliedGroups(Lsn watermark) throws SQLException {
        Instant now = Instant.now();
        if (retentionMarks.isEmpty() || Duration.between(retentionMarks.peekLast().getKey(), now).toSeconds() >= 60) {
            retentionMarks.addLast(Map.entry(now, watermark));
        }
        Lsn below = null;
        while (!retentionMarks.isEmpty()
                && Duration.between(retentionMarks.peekFirst().getKey(), now).compareTo(APPLIED_GROUP_RETENTION) > 0) {
            below = retentionMarks.pollFirst().getValue();
        }
        if (below != null) {
            Bookkeeping.prune(connection, config.sourceId(), below);
        }
    }

    private void clearGroup() {
        pending.clear();
        pendingCollapsed = false;
        pendingCopyBytes = 0;
        groupFirstLsn = null;
        groupXidCount = 0;
        groupStartOffset = -1;
        groupFrames = 0;
        groupEvents = 0;
        groupLast = null;
        groupEntered = null;
        groupFork = null;
        frame = null;
    }

    /** A unique or exclusion violation: rows of one group in an order the follower's constraints refuse. */
    private static boolean orderingConflict(SQLException e) {
        return "23505".equals(e.getSQLState()) || "23P01".equals(e.getSQLState());
    }

    static boolean retriable(SQLException e) {
        String s = e.getSQLState();
        if (s == null) {
            return e.getCause() instanceof java.io.IOException;
        }
        return s.startsWith("08") || s.equals("40001") || s.equals("40P01") || s.startsWith("53")
                || s.equals("57P01") || s.equals("57P02") || s.equals("57P03");
    }

    public State state() {
        return state.get();
    }

    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** The last source transaction the follower committed, if any. */
    public Optional<Applied> applied() {
        return Optional.ofNullable(applied.get());
    }

    public ApplierConfig config() {
        return config;
    }

    /** Stops applying; an open group is rolled back (it is applied again on restart). Idempotent. */
    @Override
    public void close() {
        if (state.get() == State.NEW) {
            state.set(State.STOPPED);
            return;
        }
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeQuietly() {
        closeConnectionQuietly();
        if (lock != null) {
            lock.close();
        }
        if (consumer != null) {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException ignored) {
                // closing after a failure
            }
        }
    }

    private void closeConnectionQuietly() {
        collapser.clear();
        pending.clear();
        pendingCollapsed = false;
        pendingCopyBytes = 0;
        if (writer != null) {
            writer.reset();
        }
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the connection may be broken; that is why we close it
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // as above
            }
            connection = null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
