package io.sluice.applier;

import io.sluice.applier.internal.ChangeTopicStore;
import io.sluice.applier.internal.DuckDbStore;
import io.sluice.applier.internal.EpochGate;
import io.sluice.applier.internal.FailureKind;
import io.sluice.applier.internal.FollowerPipeline;
import io.sluice.applier.internal.FollowerStore;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.GroupAssembler;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.applier.internal.PostgresStore;
import io.sluice.applier.internal.RecordDispatcher;
import io.sluice.applier.internal.StreamConsumer;
import io.sluice.applier.internal.WatermarkResume;
import io.sluice.format.Lifecycle;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one source's stream to one follower store, transaction by transaction, exactly once in
 * effect: the applier's lifecycle and the loop that reads the stream. What the stream thread makes
 * of each event — frames, groups of them, their changes collapsed into prepared work — is the
 * {@link GroupAssembler}'s; the {@link FollowerPipeline} runs that work on the follower thread;
 * the {@link EpochGate} keeps a replaced primary's capture out; the {@link FollowerStore}
 * (PostgreSQL: {@link PostgresStore}) commits each group together with its watermark
 * (docs/applier.md, "Inside the applier").
 *
 * <p>On start (and after any retriable failure) the applier seeks to the store's own watermark
 * ({@link WatermarkResume}); a frame at or below it is skipped. A frame cut short on the stream is
 * rolled back and skipped. Failures the store classes as retriable ({@link FailureKind}) are
 * retried with backoff; anything else stops the applier with the source LSN, table, key and column
 * or the topic-partition-offset in the message.
 *
 * <p>Lifecycle {@code NEW → RUNNING → STOPPED}, or {@code FAILED}. Methods are thread-safe.
 */
public final class StreamApplier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamApplier.class);

    public enum State { NEW, RUNNING, STOPPED, FAILED }

    /** What was applied: the follower committed everything up to this source transaction. */
    public record Applied(Lsn commitLsn, long xid, Instant commitTime, long streamOffset, Instant appliedAt) { }

    private final ApplierConfig config;
    private final String topic;
    private final TopicPartition partition;
    private final Lifecycle<State> state;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<Applied> applied = new AtomicReference<>();
    private final Consumer<Applied> listener;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final FollowerStore store;
    private final FollowerPipeline pipeline = new FollowerPipeline(this::commitOnFollower);
    private final EpochGate gate;
    private final GroupAssembler assembler;
    private final RecordDispatcher dispatcher;
    private final WatermarkResume resume;
    /** The epoch this follower was promoted to primary at, once its applier met that marker. */
    private volatile Long promotedIn;
    private volatile boolean running;
    private volatile StreamConsumer consumer;
    private Thread thread;

    public StreamApplier(ApplierConfig config) {
        this(config, a -> { });
    }

    /**
     * {@code listener} is told of every follower commit, on the thread that committed it: the
     * applier's follower thread, or its stream thread for a group it wrote itself having caught up.
     */
    public StreamApplier(ApplierConfig config, Consumer<Applied> listener) {
        this(config, listener, Clock.systemUTC());
    }

    public StreamApplier(ApplierConfig config, Consumer<Applied> listener, Clock clock) {
        this.config = config;
        this.topic = TopicNames.stream(config.sourceId());
        this.partition = new TopicPartition(topic, 0);
        this.listener = listener;
        this.state = new Lifecycle<>("applier for follower " + config.followerName(), State.NEW,
                change -> log.debug("applier for follower {}: {}", config.followerName(), change));
        this.store = switch (config.kind()) {
            case POSTGRESQL -> new PostgresStore(config, clock);
            case TOPICS -> new ChangeTopicStore(config, clock);
            case DUCKDB -> new DuckDbStore(config, clock);
        };
        this.gate = new EpochGate(config.followerName(), topic, clock);
        this.assembler = new GroupAssembler(config, partition.toString(), store, pipeline, gate);
        this.dispatcher = new RecordDispatcher(config.sourceId(), gate, assembler);
        this.resume = new WatermarkResume(config, store, pipeline, gate, assembler, applied);
    }

    /**
     * Starts the store (its bookkeeping migrated, its writer lock taken), reads the watermark, and
     * starts applying on a new thread.
     *
     * @throws ApplierException when the follower cannot be reached or migrated
     */
    public void start() {
        state.transition(State.NEW, State.RUNNING);
        // Created alongside the store's start; a store that commits the group's offset itself gets no hints over it.
        consumer = new StreamConsumer(config, partition, !store.keepsStreamOffsets());
        try {
            store.start();
            consumer.await();
            resume.seek(consumer);
        } catch (SQLException | RuntimeException e) {
            failure.set(e);
            state.transition(State.RUNNING, State.FAILED);
            closeQuietly();
            throw e instanceof ApplierException ae ? ae
                    : new ApplierException("applier for follower " + config.followerName() + " cannot start: " + e.getMessage(),
                    e instanceof SQLException s && store.classify(s) == FailureKind.RETRY, e);
        }
        running = true;
        pipeline.start("sluice-applier-" + config.followerName() + "-follower");
        thread = new Thread(this::run, "sluice-applier-" + config.followerName());
        thread.start();
        log.info("applier running: {} -> {} ({}) from {}", topic, config.followerName(), store.kind(),
                Optional.ofNullable(applied.get()).map(a -> "watermark " + a.commitLsn()).orElse("the start of the stream"));
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
                    backoffMs = resume.failed(e, backoffMs, consumer);
                } catch (ApplierException e) {
                    if (!e.retriable()) {
                        throw e;
                    }
                    backoffMs = resume.recover(e, backoffMs, consumer);
                }
            }
            pipeline.stop(); // nothing commits after the state says STOPPED
            state.tryTransition(State.RUNNING, State.STOPPED);
        } catch (RuntimeException | Error e) {
            pipeline.stop(); // nor after it says FAILED
            // Never die silently: an Error (e.g. pgjdbc < 42.7.13's AssertionError on a connection
            // killed mid-batch under -ea) also leaves the applier FAILED, for a supervisor to see.
            failure.set(e);
            state.moveUnless(State.FAILED);
            log.error("applier for follower {} stopped at watermark {}: {}", config.followerName(),
                    Optional.ofNullable(applied.get()).map(Applied::commitLsn).orElse(Lsn.ZERO), e.toString());
            if (e instanceof VirtualMachineError vm) {
                throw vm;
            }
        } finally {
            pipeline.stop();
            closeQuietly();
            stopped.countDown();
        }
    }

    private void pollAndApply() throws SQLException {
        pipeline.rethrowFailure();
        store.checkLock();
        if (!store.connected()) {
            throw new ApplierException("no follower connection", true, null);
        }
        Applied done = applied.get();
        if (done != null) {
            consumer.hint(done.streamOffset() + 1, store.streamOffsetMetadata());
        }
        ConsumerRecords<byte[], ByteBuffer> recs = consumer.poll(Duration.ofMillis(100));
        switch (dispatcher.dispatch(recs)) {
            case NEXT -> { }
            case REWIND -> {
                consumer.seek(assembler.rewindOffset());
                return;
            }
            case PROMOTED -> {
                promotedIn = gate.epoch();
                running = false;
                log.info("follower {} was promoted to primary at epoch {}: it has applied the stream up to the marker"
                        + " at {}@{} and applies no more of it", config.followerName(), gate.epoch(), partition, dispatcher.stoppedAt());
                return;
            }
        }
        if (assembler.polled(recs.count(), consumer.moreWaiting(recs.count())) && store.streamOffsetMetadata() == null) {
            // Heartbeats start no follower transaction, but the hint still moves past them, so the
            // lag monitor's transport lag is zero on an idle stream. Not where the hint carries the
            // watermark: there its offset is the watermark's, which the monitor reads with it.
            consumer.hint(consumer.position(), null);
        }
    }

    /** The epoch this follower was promoted to primary at, once its applier stopped at that marker. */
    public Optional<Long> promotedIn() {
        return Optional.ofNullable(promotedIn);
    }

    /** Records of an older epoch this applier refused (a capture of a replaced primary writing). */
    public long refusedRecords() {
        return gate.refused();
    }

    /** On the follower thread: the store commits the group with its watermark; then the listener is told. */
    private void commitOnFollower(GroupCommit g) throws SQLException {
        Instant at = store.commit(g);
        FrameEnd last = g.last();
        Applied done = new Applied(last.commitLsn(), last.xid(), last.commitTime(), last.offset(), at);
        applied.set(done);
        listener.accept(done);
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
        if (state.tryTransition(State.NEW, State.STOPPED)) {
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
        assembler.clear();
        store.close();
        if (consumer != null) {
            consumer.close();
        }
    }
}
