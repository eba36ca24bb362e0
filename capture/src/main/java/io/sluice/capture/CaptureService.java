package io.sluice.capture;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.CaptureLock;
import io.sluice.capture.internal.EngineProperties;
import io.sluice.capture.internal.FrameAssembler;
import io.sluice.capture.internal.PrimarySetup;
import io.sluice.capture.internal.StreamTail;
import io.sluice.capture.internal.StreamWriter;
import io.sluice.capture.internal.TableShapes;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures one PostgreSQL primary onto its Kafka stream: checks the primary, owns its slot and
 * publication, runs the Debezium embedded engine and produces whole transaction frames.
 *
 * <p>Lifecycle: {@code NEW → STARTING → RUNNING → STOPPING → STOPPED}, or {@code FAILED} from
 * any running state; transitions happen only through one compare-and-set whose error names the
 * expected, requested and actual state. Thread-safe. {@link #start()} blocks until the engine's
 * task runs (or fails); {@link #close()} blocks until it has stopped.
 */
public final class CaptureService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CaptureService.class);

    public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    private final CaptureConfig config;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final PrimarySetup primary;
    private final Consumer<ChangeEvent.Commit> onCommitAcked;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private CaptureLock lock;
    private StreamWriter writer;
    private FrameAssembler assembler;
    private TableShapes shapes;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private ExecutorService executor;

    public CaptureService(CaptureConfig config) {
        this(config, null);
    }

    /** {@code onCommitAcked} is told of every COMMIT Kafka acknowledges (benchmarks, monitors). */
    public CaptureService(CaptureConfig config, Consumer<ChangeEvent.Commit> onCommitAcked) {
        this.config = config;
        this.primary = new PrimarySetup(config.jdbcUrl(), config.connection());
        this.onCommitAcked = onCommitAcked;
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
            lock = new CaptureLock(primary::connect, config.sourceId(), config.slotName());
            lock.acquire();
            writer = new StreamWriter(config.sourceId(), config.kafka(), onCommitAcked);
            writer.ensureTopic(Duration.ofSeconds(30));
            Optional<Lsn> streamed = StreamTail.read(writer.topic(), config.kafka(), Duration.ofSeconds(30));
            refuseGap(streamed);
            // A stream that holds transactions already had its snapshot. Without one, Debezium creates
            // a new slot itself and reads the rows in the snapshot the slot exports: snapshot and
            // stream then meet exactly, no gap and no overlap.
            boolean snapshot = config.snapshot() && streamed.isEmpty();
            primary.prepare(config.publicationName(), config.slotName(), config.tables(), !snapshot);
            streamed.ifPresent(lsn -> log.info("resuming from the stream: it holds everything up to {}", lsn));
            shapes = new TableShapes(primary::connect);
            assembler = new FrameAssembler(config.sourceId(), () -> shapes,
                    new FrameAssembler.TransactionBufferSettings(10_000, config.stateDirectory().resolve("spill")),
                    writer, Clock.systemUTC(), streamed.orElse(Lsn.ZERO));
            engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(EngineProperties.of(config, snapshot))
                    .using(new DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void taskStarted() {
                            started.countDown();
                        }
                    })
                    .using(this::completed)
                    .notifying(assembler)
                    .build();
            executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "sluice-capture-" + config.sourceId()));
            executor.execute(engine);
            awaitStart(Duration.ofSeconds(60));
            transition(State.STARTING, State.RUNNING);
            log.info("capture running: {} -> {}", config.jdbcUrl(), writer.topic());
        } catch (IOException e) {
            fail(new UncheckedIOException("creating state directory " + config.stateDirectory(), e));
            throw new CaptureException(Kind.CONFIGURATION, "cannot create capture state directory " + config.stateDirectory(), e);
        } catch (RuntimeException e) {
            fail(e);
            closeResources();
            throw e;
        }
    }

    private void awaitStart(Duration timeout) {
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!started.await(50, TimeUnit.MILLISECONDS)) {
                Throwable f = failure.get();
                if (f != null || finished.getCount() == 0) {
                    throw new CaptureException(Kind.FATAL, "the Debezium engine stopped while starting: "
                            + (f == null ? "no error given" : f.getMessage()), f);
                }
                if (System.nanoTime() > deadline) {
                    throw new CaptureException(Kind.FATAL, "the Debezium engine did not start within " + timeout.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException(Kind.FATAL, "interrupted while starting capture", e);
        }
    }

    private void completed(boolean success, String message, Throwable error) {
        State now = state.get();
        if ((now == State.STOPPING || now == State.STOPPED) && isRejectedExecution(error)) {
            // Closing while Debezium's async engine still had records in flight: its record pool
            // refuses them once shut down. Nothing of theirs reached Kafka or was confirmed to the
            // slot, so the next start reads them again; this is a stop, not a failure.
            log.info("capture engine stopped with records in flight; they are read again from the slot on the next start");
        } else if (!success || error != null) {
            log.error("capture engine stopped with an error: {}", message, error);
            fail(error != null ? error : new IllegalStateException(message));
        } else {
            log.info("capture engine stopped: {}", message);
        }
        finished.countDown();
    }

    private static boolean isRejectedExecution(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.RejectedExecutionException) {
                return true;
            }
        }
        return false;
    }

    private void fail(Throwable e) {
        failure.compareAndSet(null, e);
        State s = state.get();
        if (s != State.STOPPING && s != State.STOPPED) {
            state.set(State.FAILED);
        }
    }

    private void transition(State expected, State next) {
        if (!state.compareAndSet(expected, next)) {
            throw new IllegalStateException("capture cannot go to " + next + ": expected state " + expected
                    + " but it is " + state.get());
        }
        log.debug("capture {} -> {}", expected, next);
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
        return assembler == null ? Lsn.ZERO : assembler.lastCommittedLsn();
    }

    /** The slot's state on the primary (active, confirmed flush, retained WAL). */
    public Optional<PrimarySetup.SlotInfo> slot() {
        return primary.slot(config.slotName());
    }

    /** Stops the engine (committing acknowledged offsets) and the producer. Idempotent. */
    @Override
    public void close() {
        State s = state.get();
        if (s == State.STOPPED || s == State.NEW) {
            state.set(State.STOPPED);
            return;
        }
        state.set(State.STOPPING);
        closeResources();
        state.set(failure.get() == null ? State.STOPPED : State.FAILED);
        log.info("capture stopped");
    }

    private void closeResources() {
        if (engine != null) {
            closeEngine(Duration.ofSeconds(30));
        }
        if (executor != null) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                    log.warn("the capture engine thread did not end within 30 s");
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (assembler != null) {
            assembler.discardOpenFrame();
        }
        if (writer != null) {
            writer.close();
        }
        if (shapes != null) {
            shapes.close();
        }
        if (lock != null) {
            lock.close();
        }
    }

    /**
     * Closes the engine. Debezium's async engine refuses to stop while its tasks are still starting
     * (it reports {@code taskStarted} a moment before it counts itself running), so a close right
     * after {@link #start()} is retried until the engine accepts it.
     */
    private void closeEngine(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                engine.close();
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    log.warn("the Debezium engine would not stop within {} s: {}", timeout.toSeconds(), e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } catch (IOException e) {
                log.warn("closing the Debezium engine", e);
                return;
            }
        }
    }

    /** Drops the slot on explicit operator request. Capture must not be running. */
    public static boolean dropSlot(CaptureConfig config) {
        return new PrimarySetup(config.jdbcUrl(), config.connection()).dropSlot(config.slotName());
    }

    /**
     * The stream is where capture resumes. Refuses to start when the primary no longer has what
     * comes after it: the slot is gone (dropped by hand, or invalidated by
     * {@code max_slot_wal_keep_size}), or its confirmed position is past the end of the stream
     * (another client consumed from it). Either way changes may be lost and would be skipped silently.
     */
    private void refuseGap(Optional<Lsn> streamed) {
        if (streamed.isEmpty()) {
            return;
        }
        Optional<PrimarySetup.SlotInfo> slot = primary.slot(config.slotName());
        String startOver = " Nothing was started. To start over: delete the stream topic (or choose a new source id),"
                + " run 'sluice capture --drop-slot', re-create the followers, and start capture again (it snapshots)";
        if (slot.isEmpty()) {
            throw new CaptureException(Kind.CONFIGURATION, "replication slot " + config.slotName() + " does not exist, but"
                    + " the stream " + TopicNames.stream(config.sourceId()) + " holds transactions up to " + streamed.get()
                    + ": changes since then may be lost and would not be captured." + startOver);
        }
        String confirmed = slot.get().confirmedFlushLsn();
        if (confirmed != null && Lsn.parse(confirmed).compareTo(streamed.get()) > 0) {
            throw new CaptureException(Kind.CONFIGURATION, "replication slot " + config.slotName() + " is confirmed up to "
                    + confirmed + ", past the end of the stream " + TopicNames.stream(config.sourceId()) + " ("
                    + streamed.get() + "): what was consumed from the slot in between is not on the stream"
                    + " (another client read the slot, or the topic lost records)." + startOver);
        }
    }
}
