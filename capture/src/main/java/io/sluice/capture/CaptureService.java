package io.sluice.capture;

import io.sluice.format.follower.SnapshotTarget;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.CaptureEngine;
import io.sluice.capture.internal.CaptureLock;
import io.sluice.capture.internal.DebeziumCapture;
import io.sluice.capture.internal.FailoverSlots;
import io.sluice.capture.internal.PrimaryLineage;
import io.sluice.capture.internal.PrimarySetup;
import io.sluice.capture.internal.Reconnector;
import io.sluice.capture.internal.StreamContinuity;
import io.sluice.capture.internal.StreamSetup;
import io.sluice.capture.internal.StreamTail;
import io.sluice.capture.internal.StreamWriter;
import io.sluice.capture.internal.pgoutput.PgOutputCapture;
import io.sluice.capture.internal.pgoutput.ReplicationConnection;
import io.sluice.format.CaptureSessions;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lifecycle;
import io.sluice.format.Lsn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures one PostgreSQL primary onto its Kafka stream: checks the primary, owns its slot and
 * publication, runs the configured engine (Sluice's pgoutput reader or Debezium) and produces
 * whole transaction frames.
 *
 * <p>Lifecycle: {@code NEW → STARTING → RUNNING → STOPPING → STOPPED}, {@code RUNNING → RECONNECTING
 * → RUNNING} while it finds the primary again after losing it, or {@code FAILED} from
 * any running state; transitions happen only through one compare-and-set whose error names the
 * expected, requested and actual state. Thread-safe. {@link #start()} blocks until the engine
 * runs (or fails); {@link #close()} blocks until it has stopped.
 */
public final class CaptureService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CaptureService.class);

    public enum State { NEW, STARTING, RUNNING, RECONNECTING, STOPPING, STOPPED, FAILED }

    private final CaptureConfig config;
    private final Lifecycle<State> state = new Lifecycle<>("capture", State.NEW, change -> log.debug("capture {}", change));
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The primary of the last start or reconnect: among several hosts, the one on the newest timeline. */
    private volatile PrimarySetup primary;
    private final Consumer<ChangeEvent.Commit> onCommitAcked;
    private final Clock clock;
    private final List<SnapshotTarget> direct;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private CaptureLock lock;
    private StreamWriter writer;
    private volatile CaptureEngine engine;
    /** What Kafka had acknowledged when the last engine was closed: reported while capture reconnects. */
    private volatile Lsn committedBefore = Lsn.ZERO;
    private final StreamContinuity continuity;

    public CaptureService(CaptureConfig config) {
        this(config, null);
    }

    /** {@code onCommitAcked} is told of every COMMIT Kafka acknowledges (benchmarks, monitors). */
    public CaptureService(CaptureConfig config, Consumer<ChangeEvent.Commit> onCommitAcked) {
        this(config, onCommitAcked, Clock.systemUTC());
    }

    public CaptureService(CaptureConfig config, Consumer<ChangeEvent.Commit> onCommitAcked, Clock clock) {
        this(config, onCommitAcked, clock, List.of());
    }

    /**
     * Capture whose initial snapshot, if it takes one, goes by the direct path into {@code direct}
     * rather than onto the stream (docs/capture.md); capture closes them once they are no longer needed.
     */
    public CaptureService(CaptureConfig config, Consumer<ChangeEvent.Commit> onCommitAcked, Clock clock,
                          List<SnapshotTarget> direct) {
        this.config = config;
        this.primary = new PrimarySetup(config.jdbcUrl(), config.connection());
        this.continuity = new StreamContinuity(config);
        this.onCommitAcked = onCommitAcked;
        this.clock = clock;
        this.direct = List.copyOf(direct);
    }

    /** The application_name of the engine's walsender, as {@code synchronous_standby_names} must list it. */
    public static String walSenderName(CaptureConfig config) {
        return config.engine() == CaptureConfig.Engine.DEBEZIUM ? "Debezium Streaming"
                : CaptureSessions.walsender(config.sourceId());
    }

    /**
     * Prepares the primary and Kafka, then starts the engine.
     *
     * @throws CaptureException CONFIGURATION naming the setting and the fix, or FATAL
     */
    public void start() {
        transition(State.NEW, State.STARTING);
        try {
            log.info("starting capture: {}", config);
            Files.createDirectories(config.stateDirectory());
            open();
            transition(State.STARTING, State.RUNNING);
            log.info("capture running ({} engine): {} -> {}", config.engine().name().toLowerCase(), config.jdbcUrl(),
                    writer.topic());
        } catch (IOException e) {
            fail(new UncheckedIOException("creating state directory " + config.stateDirectory(), e));
            throw new CaptureException(Kind.CONFIGURATION, "cannot create capture state directory " + config.stateDirectory(), e);
        } catch (RuntimeException e) {
            fail(e);
            closeResources();
            throw e;
        }
    }

    /** Takes the lock, checks the primary against the stream, and starts the engine where the stream ends. */
    private synchronized void open() {
        if (stopping.getCount() == 0) {
            throw new CaptureException(Kind.FATAL, "capture is stopping");
        }
        StreamSetup kafka = StreamSetup.begin(config, writer, onCommitAcked); // while the lock is taken
        CaptureConfig here;
        Optional<EpochMarker> promotion;
        try {
            here = config.withJdbcUrl(PrimaryLineage.newestPrimary(config.jdbcUrl(), config.connection()));
            primary = new PrimarySetup(here.jdbcUrl(), here.connection());
            lock = new CaptureLock(primary::connect, config.sourceId(), config.slotName(), clock);
            lock.acquire();
        } catch (RuntimeException e) {
            try {
                kafka.promotion();
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            writer = kafka.writer(); // waited for, so the producer it made is closed with the rest
            throw e;
        }
        try {
            promotion = kafka.promotion();
        } finally {
            writer = kafka.writer();
        }
        long epoch = continuity.epoch(lock.session(), here.jdbcUrl(), promotion);
        writer.epoch(epoch);
        Optional<Lsn> streamed = StreamTail.read(writer.topic(), config.kafka(), Duration.ofSeconds(30), epoch);
        continuity.check(lock.session(), here.jdbcUrl(), streamed, promotion);
        // A stream that holds transactions already had its snapshot. Without one, the engine
        // creates the slot itself and reads the rows in the snapshot the slot exports: snapshot
        // and stream then meet exactly, no gap and no overlap.
        boolean snapshot = config.snapshot() && streamed.isEmpty();
        List<SnapshotTarget> targets = snapshot ? direct : List.of();
        if (!targets.isEmpty() && config.engine() != CaptureConfig.Engine.PGOUTPUT) {
            throw new CaptureException(Kind.CONFIGURATION, "a direct snapshot (to " + names(targets) + ") needs"
                    + " capture.engine = pgoutput; Debezium snapshots only onto the stream");
        }
        if (!snapshot) {
            closeTargets();
        }
        primary.prepare(lock.session(), config.publicationName(), config.slotName(), config.tables(), !snapshot,
                config.failover().slot());
        if (!snapshot && config.failover().slot()) {
            new FailoverSlots(lock.session(), slot -> ReplicationConnection.once(here.jdbcUrl(), here.connection(),
                    config.sourceId(), "making slot " + slot + " a failover slot", c -> c.makeFailover(slot))).ensure(config.slotName());
        }
        streamed.ifPresent(lsn -> log.info("resuming from the stream: it holds everything up to {}", lsn));
        Lsn from = streamed.orElse(Lsn.ZERO);
        engine = switch (config.engine()) {
            case PGOUTPUT -> new PgOutputCapture(here, snapshot, targets, primary::connect, writer, from,
                    this::engineFailed, clock);
            case DEBEZIUM -> new DebeziumCapture(here, snapshot, primary::connect, writer, from, this::engineFailed, clock);
        };
        engine.start(Duration.ofSeconds(60));
    }

    /**
     * An engine that lost its primary after the stream had its snapshot is opened again, on
     * whichever of the configured hosts is the primary by then (a promoted standby); anything
     * else, or no primary within {@code capture.reconnect.timeout}, fails capture.
     */
    private void engineFailed(Throwable e) {
        if (Reconnector.isConnectionLoss(e) && !config.failover().reconnectTimeout().isZero()
                && engine != null && engine.lastCommittedLsn().compareTo(Lsn.ZERO) > 0
                && state.tryTransition(State.RUNNING, State.RECONNECTING)) {
            Thread t = new Thread(() -> reconnect(e), "sluice-capture-reconnect-" + config.sourceId());
            t.setDaemon(true);
            t.start();
            return;
        }
        fail(e);
    }

    private void reconnect(Throwable cause) {
        long t0 = System.nanoTime();
        log.warn("capture lost the primary ({}); looking for a primary at {} for up to {} s", cause.getMessage(),
                config.jdbcUrl(), config.failover().reconnectTimeout().toSeconds());
        Reconnector reconnector = new Reconnector(clock, config.failover().reconnectTimeout(),
                wait -> stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS));
        try {
            closeForReconnect();
            if (reconnector.reconnect(this::open, this::closeForReconnect)
                    && state.tryTransition(State.RECONNECTING, State.RUNNING)) {
                log.info("capture reconnected {} ms after losing the primary: {} -> {}", (System.nanoTime() - t0) / 1_000_000,
                        config.jdbcUrl(), writer.topic());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("capture stopped: no primary to continue from: {}", e.getMessage());
            fail(e);
            closeResources();
        }
    }

    private static String names(List<SnapshotTarget> targets) {
        return targets.stream().map(SnapshotTarget::name).collect(java.util.stream.Collectors.joining(", "));
    }

    private void closeTargets() {
        direct.forEach(SnapshotTarget::close);
    }

    private void fail(Throwable e) {
        failure.compareAndSet(null, e);
        state.moveUnless(State.FAILED, State.STOPPING, State.STOPPED);
    }

    private void transition(State expected, State next) {
        state.transition(expected, next);
    }

    public State state() {
        return state.get();
    }

    /** What made capture fail, if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** The commit LSN of the last transaction Kafka acknowledged. */
    public Lsn lastCommittedLsn() {
        CaptureEngine e = engine;
        return e == null ? committedBefore : e.lastCommittedLsn();
    }

    /** The slot's state on the primary (active, confirmed flush, retained WAL). */
    public Optional<PrimarySetup.SlotInfo> slot() {
        return primary.slot(config.slotName());
    }

    /** Stops the engine (committing acknowledged offsets) and the producer. Idempotent. */
    @Override
    public void close() {
        if (state.tryTransition(State.NEW, State.STOPPED)) {
            return;
        }
        State was = state.moveUnless(State.STOPPING, State.STOPPING, State.STOPPED);
        if (was == State.STOPPING || was == State.STOPPED) {
            return; // another close is stopping it, or did
        }
        stopping.countDown();
        closeResources();
        state.transition(State.STOPPING, failure.get() == null ? State.STOPPED : State.FAILED);
        log.info("capture stopped");
    }

    /**
     * Ends what depends on the lost primary (the engine, the lock) and keeps the producer, whose
     * records in flight are waited for: the stream's end is then exactly what was acknowledged.
     */
    private synchronized void closeForReconnect() {
        if (engine != null) {
            engine.close();
            committedBefore = engine.lastCommittedLsn();
            engine = null;
        }
        if (writer != null) {
            writer.flush();
        }
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    private synchronized void closeResources() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
        if (lock != null) {
            lock.close();
            lock = null;
        }
        if (state.get() != State.RECONNECTING) {
            closeTargets();
        }
    }

    /** Drops the slot on explicit operator request. Capture must not be running. */
    public static boolean dropSlot(CaptureConfig config) {
        return new PrimarySetup(config.jdbcUrl(), config.connection()).dropSlot(config.slotName());
    }
}
