package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.CaptureEngine;
import io.sluice.capture.internal.FrameWriter;
import io.sluice.capture.internal.Heartbeats;
import io.sluice.capture.internal.MessageGate;
import io.sluice.capture.internal.PrimarySession;
import io.sluice.capture.internal.Reconnector;
import io.sluice.capture.internal.SlotCreationWatch;
import io.sluice.capture.internal.StreamWriter;
import io.sluice.format.Lsn;
import io.sluice.format.follower.SnapshotTarget;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own capture engine ({@code capture.engine = pgoutput}): one thread reads the slot
 * through a walsender connection and hands each message to {@link PgOutputMessages} (decoded,
 * framed, written by {@link FrameWriter}); when the stream is empty and a snapshot is asked for, it
 * first creates the slot and copies its exported snapshot ({@link SnapshotCopy}). Starting far
 * behind the WAL's end, it reads that backlog through SQL instead ({@link SlotCatchUp}) and then
 * streams from there; the catch-up starts while the walsender connection is still being opened,
 * which it needs only after.
 *
 * <p>The slot is confirmed only up to what Kafka has acknowledged: whenever the primary has
 * nothing more to send, the thread waits for Kafka's acknowledgement of what it wrote — in steps
 * of at most half a millisecond, reading the socket between them, so that a transaction arriving
 * meanwhile is not held behind the acknowledgement — confirms each acknowledged position at once
 * (a synchronous-standby commit on the primary waits for exactly this), and once everything is
 * acknowledged blocks on the socket — no polling while idle; under continuous load it confirms the
 * acknowledged commits at most every millisecond. An error after start is handed to {@code onFailure}.
 */
public final class PgOutputCapture implements CaptureEngine {

    private static final Logger log = LoggerFactory.getLogger(PgOutputCapture.class);
    private static final long CONFIRM_EVERY_NANOS = 1_000_000;
    /** Longest wait for a Kafka acknowledgement before looking at the socket again. */
    private static final long ACK_WAIT_NANOS = 500_000;
    /**
     * Catching up, after a read that had to wait for the walsender: how long capture leaves the
     * socket alone before reading again, so the walsender writes a run of messages into it instead
     * of waking capture for each one (docs/capture.md, "Catching up").
     */
    private static final long PACE_NANOS = 1_000_000;
    /** A read that took longer than this waited on the socket. */
    private static final long WAITED_NANOS = 30_000;

    /** Connections that copy the initial snapshot at once. */
    private static final int SNAPSHOT_CONNECTIONS = 4;

    private final CaptureConfig config;
    private final boolean snapshot;
    private final List<SnapshotTarget> direct;
    private final Supplier<Connection> primary;
    private final StreamWriter writer;
    private final Lsn streamedThrough;
    private final Consumer<Throwable> onFailure;
    private final Clock clock;
    private final FrameWriter frames;
    private final StreamDefinitions definitions = new StreamDefinitions();
    private final DefinitionsOnStream onStream;
    private final RelationShapes shapes;
    private final MessageGate gate;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean closing;
    private volatile Lsn written;
    private volatile ReplicationConnection replication;
    /** Done once {@link #start} has opened the walsender connection (or failed to). */
    private final CompletableFuture<ReplicationConnection> walsender = new CompletableFuture<>();
    private Heartbeats heartbeats;
    private final SlotCatchUp catchUp;
    private PgOutputMessages messages;
    private Thread thread;

    /** {@code direct}: the followers that take the snapshot by the direct path; empty: it goes onto the stream. */
    public PgOutputCapture(CaptureConfig config, boolean snapshot, List<SnapshotTarget> direct, Supplier<Connection> primary,
                           StreamWriter writer, Lsn streamedThrough, Consumer<Throwable> onFailure, Clock clock) {
        this.config = config;
        this.snapshot = snapshot;
        this.direct = List.copyOf(direct);
        this.primary = primary;
        this.writer = writer;
        this.streamedThrough = streamedThrough;
        this.onFailure = onFailure;
        this.clock = clock;
        this.written = streamedThrough;
        this.frames = new FrameWriter(config.sourceId(),
                new FrameWriter.BufferSettings(10_000, config.stateDirectory().resolve("spill")), writer, clock, streamedThrough);
        this.shapes = new RelationShapes(primary, config.sourceId(), clock, definitions);
        this.onStream = new DefinitionsOnStream(definitions, clock);
        this.gate = MessageGate.of(primary, config.publicationName());
        this.catchUp = new SlotCatchUp(this::outputSession, config.slotName(), config.publicationName(),
                config.origins() == CaptureConfig.Origins.LOCAL, config.sourceId());
    }

    @Override
    public void start(Duration timeout) {
        if (!snapshot) {
            startThread(null);
        }
        try {
            replication = ReplicationConnection.open(config.jdbcUrl(), config.connection(), config.sourceId());
        } catch (RuntimeException e) {
            closing = true; // the thread, if started, ends without reporting: this start fails instead
            walsender.completeExceptionally(e);
            throw e;
        }
        walsender.complete(replication);
        if (!snapshot) {
            return;
        }
        ReplicationConnection.CreatedSlot created;
        try {
            dropStaleSlot();
            try (SlotCreationWatch watch = new SlotCreationWatch(primary, config.slotName())) {
                created = replication.createSlot(config.slotName(), config.failover().slot());
            }
            log.info("created replication slot {} (pgoutput) at {}, exporting snapshot {}", config.slotName(),
                    created.consistentPoint(), created.snapshotName());
        } catch (SQLException e) {
            replication.close();
            throw new CaptureException(Kind.FATAL, "creating replication slot " + config.slotName() + ": " + e.getMessage(), e);
        }
        startThread(created);
    }

    private void startThread(ReplicationConnection.CreatedSlot created) {
        thread = new Thread(() -> run(created), "sluice-capture-" + config.sourceId());
        thread.start();
    }

    /**
     * A stream without transactions has had no snapshot: a slot left by a capture that died while
     * snapshotting holds nothing the stream needs, and its snapshot is gone with that capture.
     */
    private void dropStaleSlot() throws SQLException {
        try (Connection c = primary.get(); PreparedStatement ps = c.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, config.slotName());
            if (ps.executeQuery().next()) {
                log.warn("dropped replication slot {}: the stream holds no snapshot, so the slot was left by a capture"
                        + " that stopped before its snapshot was on Kafka; the snapshot starts over", config.slotName());
            }
        }
    }

    private void run(ReplicationConnection.CreatedSlot created) {
        try {
            Lsn from = streamedThrough;
            if (created != null) {
                ReplicationConnection.CreatedSlot copied = InitialSnapshot.take(created, slot -> direct.isEmpty()
                        ? new SnapshotCopy(this::outputSession, config.publicationName(), SNAPSHOT_CONNECTIONS)
                                .copy(slot.snapshotName(), slot.consistentPoint(), frames, clock, () -> closing, onStream)
                        : new DirectSnapshotCopy(this::outputSession, config.publicationName(), SNAPSHOT_CONNECTIONS, direct)
                                .copy(slot.snapshotName(), slot.consistentPoint(), frames, clock, () -> closing, onStream), () -> {
                            replication.dropSlot(config.slotName());
                            return replication.createSlot(config.slotName(), config.failover().slot());
                        });
                writer.flush();
                from = copied.consistentPoint();
                written = from;
            } else {
                DefinitionsReadBack.read(writer.topic(), config.kafka(), writer.epoch(), Duration.ofSeconds(60), definitions);
            }
            stream(from);
        } catch (Exception e) {
            if (!closing) {
                if (Reconnector.isConnectionLoss(e)) {
                    log.warn("capture lost its connection to the primary: {}", e.getMessage());
                } else {
                    log.error("capture stopped with an error: {}", e.getMessage(), e);
                }
                onFailure.accept(e);
            }
        } finally {
            finished.countDown();
        }
    }

    /** Catches up through SQL when far behind ({@link SlotCatchUp}), then streams from where that left the slot. */
    private void stream(Lsn from) throws SQLException {
        messages = new PgOutputMessages(frames, shapes, onStream, config.publicationName(), clock,
                config.stateDirectory().resolve("spill"), gate);
        try (BacklogProbe backlog = new BacklogProbe(primary, clock)) {
            Lsn start = config.catchUp() == CaptureConfig.CatchUp.SQL ? catchUp.run(from, backlog, messages, writer, () -> closing)
                    : from;
            if (closing) {
                return;
            }
            if (start.compareTo(written) > 0) {
                written = start;
            }
            walsender.join();
            int protocol = replication.start(config.slotName(), config.publicationName(), start, Duration.ofSeconds(10),
                    config.origins() == CaptureConfig.Origins.LOCAL);
            replication.confirm(start);
            heartbeats = new Heartbeats(primary, config.heartbeatInterval(), config.sourceId(), gate);
            log.info("streaming slot {} from {} (pgoutput protocol {}{})", config.slotName(), start, protocol,
                    protocol >= 2 ? ", large transactions streamed in progress" : "");
            stream(backlog);
        }
    }

    private void stream(BacklogProbe backlog) throws SQLException {
        long lastConfirm = System.nanoTime();
        boolean pace = false;
        while (!closing) {
            if (pace) {
                LockSupport.parkNanos(PACE_NANOS);
                pace = false;
            }
            long before = System.nanoTime();
            ByteBuffer message = replication.poll();
            // Only while far behind: a caught-up capture reads each transaction the moment it comes.
            pace = message != null && System.nanoTime() - before > WAITED_NANOS && backlog.behind(written);
            if (message == null) {
                if (!writer.allAcked()) {
                    // Kafka has not acknowledged all that was written: wait for it a little at a
                    // time and look at the socket in between, so a new transaction is not held
                    // behind an acknowledgement; confirm what is acknowledged as it comes.
                    writer.awaitAck(ACK_WAIT_NANOS);
                    Lsn acked = writer.ackedCommitLsn(streamedThrough);
                    if (acked.compareTo(replication.confirmed()) > 0) {
                        replication.confirm(Lsn.earlier(acked, written));
                    }
                    continue;
                }
                // Everything written is on Kafka: tell the primary, then block until it sends more.
                replication.confirm(written);
                message = replication.take();
                if (message == null) {
                    return;
                }
            }
            Lsn reached = messages.handle(message);
            if (reached != null) {
                written = reached;
                writer.gatherWhile(backlog.behind(reached));
                long now = System.nanoTime();
                if (now - lastConfirm >= CONFIRM_EVERY_NANOS) {
                    Lsn acked = writer.ackedCommitLsn(streamedThrough);
                    replication.confirm(Lsn.earlier(acked, written));
                    lastConfirm = now;
                }
            }
        }
    }

    private Connection outputSession() {
        Connection c = primary.get();
        try {
            PrimarySession.withSessionSettings(c);
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "setting up a snapshot connection: " + e.getMessage(), e);
        }
        return c;
    }

    @Override
    public Lsn lastCommittedLsn() {
        return writer.ackedCommitLsn(streamedThrough);
    }

    @Override
    public void close() {
        closing = true;
        catchUp.abort();
        if (replication != null) {
            replication.abort();
        }
        if (thread != null) {
            try {
                if (!finished.await(10, TimeUnit.SECONDS)) {
                    log.warn("the capture thread did not end within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (heartbeats != null) {
            heartbeats.close();
        }
        frames.discardOpen("");
        frames.close();
        if (messages != null) {
            messages.close();
        }
        shapes.close();
        if (replication != null) {
            replication.close();
        }
    }
}
