package io.sluice.capture.internal;

import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Fragments;
import io.sluice.format.RunEncoder;
import io.sluice.format.Lsn;
import io.sluice.format.TopicNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces events to the source's stream topic with idempotent producers (acks=all, ordered,
 * no duplicates within a producer session; one that sends at once and one that lingers while
 * capture is far behind, {@link PacedProducer}), as runs of a frame's consecutive events, one Kafka
 * record each (format version 3): a run is produced when it ends its frame (COMMIT), when it
 * stands alone (heartbeat, non-transactional message), or when it reaches {@value #RUN_EVENTS}
 * events or {@value #RUN_BYTES} bytes (a large frame then spans several records; the next
 * frame's BEGIN always starts a record); a run longer than a record may be is written as its
 * fragments (format version 4, {@link Fragments}). {@link #flush()} returns only when Kafka has
 * acknowledged everything sent, or throws the first failure: the caller commits its source
 * offsets only after that. Thread-safe.
 */
public final class StreamWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamWriter.class);
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** Bounds of one record's run: a slice of a large frame, small enough to fetch and hold. */
    static final int RUN_EVENTS = 1000;
    static final int RUN_BYTES = 256 * 1024;
    /** Longest a record lingers, while the source is far behind, for its batch to fill. */
    static final int GATHER_MILLIS = 10;

    private final String topic;
    private final byte[] key;
    private final Map<String, Object> clientProperties;
    private final PacedProducer producer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    /** A fragment's acknowledgement: only a failure matters, the run's last record acknowledges it. */
    private final Callback fragmentSent = (md, e) -> {
        if (e != null) {
            failure.compareAndSet(null, e);
        }
    };
    private final Consumer<ChangeEvent.Commit> onCommitAcked;
    private final java.util.concurrent.atomic.AtomicLong ackedCommit = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong ackedPosition = new java.util.concurrent.atomic.AtomicLong();
    private final RunEncoder run = new RunEncoder();
    /** The position of the last run produced that ends a frame or stands alone. */
    private volatile long sentPosition;
    private final Object ackSignal = new Object();
    /** The epoch every run is written in (FORMAT.md, "Epochs"): 0 until a follower was promoted. */
    private volatile long epoch;

    public StreamWriter(String sourceId, Map<String, Object> clientProperties, Consumer<ChangeEvent.Commit> onCommitAcked) {
        this.topic = TopicNames.stream(sourceId);
        this.key = sourceId.getBytes(StandardCharsets.UTF_8);
        this.clientProperties = Map.copyOf(clientProperties);
        this.onCommitAcked = onCommitAcked;
        Map<String, Object> p = new HashMap<>(clientProperties);
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.put("max.in.flight.requests.per.connection", "5");
        // Records linger only while the source is far behind (gatherWhile); otherwise each is
        // sent at once (PacedProducer).
        p.putIfAbsent("linger.ms", String.valueOf(GATHER_MILLIS));
        p.putIfAbsent("batch.size", String.valueOf(256 * 1024));
        // Not compressed unless configured: a compressed batch costs the broker a decompression
        // to validate it and every consumer a copy of each record (docs/capture.md).
        p.putIfAbsent("compression.type", "none");
        p.putIfAbsent("max.request.size", String.valueOf(MAX_MESSAGE_BYTES));
        p.putIfAbsent("delivery.timeout.ms", "120000");
        String clientId = String.valueOf(p.getOrDefault("client.id", "sluice-capture-" + sourceId));
        this.producer = new PacedProducer(p, clientId);
    }

    public String topic() {
        return topic;
    }

    /** The epoch runs produced from now on carry; capture sets it at every start from the epochs topic. */
    public void epoch(long e) {
        epoch = e;
    }

    /** The epoch runs are written in. */
    public long epoch() {
        return epoch;
    }

    /** Creates the stream topic if absent: one partition (one ordered stream), retention as configured. */
    public void ensureTopic(Duration timeout) {
        try (Admin admin = Admin.create(clientProperties)) {
            int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            short replication = (short) Math.min(3, brokers);
            NewTopic t = new NewTopic(topic, 1, replication).configs(Map.of(
                    "max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES),
                    "min.insync.replicas", String.valueOf(Math.max(1, replication - 1)),
                    "cleanup.policy", "delete"));
            try {
                admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                log.info("created stream topic {} (1 partition, replication {})", topic, replication);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                int partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().size();
                if (partitions != 1) {
                    throw new CaptureException(Kind.CONFIGURATION, "stream topic " + topic + " has " + partitions
                            + " partitions; the replication stream must have exactly 1 to keep commit order");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException(Kind.FATAL, "interrupted while creating topic " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CaptureException(Kind.CONFIGURATION, "cannot create or check stream topic " + topic + " on "
                    + clientProperties.get("bootstrap.servers") + " within " + timeout.toMillis() + " ms: "
                    + (e.getCause() != null ? e.getCause() : e) + " — check kafka.bootstrap.servers and the client's ACLs", e);
        }
    }

    /** Adds one event to the run being built, producing the run when it is complete; failures surface in {@link #flush()}. */
    public synchronized void send(ChangeEvent event) {
        Exception f = failure.get();
        if (f != null) {
            throw new CaptureException(Kind.FATAL, "producing to " + topic + " failed: " + f.getMessage(), f);
        }
        if (!run.accepts(event)) {
            produceRun((Lsn) null);
        }
        long e = epoch;
        if (e != 0 && run.events() == 0) {
            event = event.withHeader(event.header().withEpoch(e)); // a run's first event carries it for the run
        }
        run.add(event);
        if (event instanceof ChangeEvent.Commit c) {
            produceRun(c);
        } else if (event instanceof ChangeEvent.Heartbeat || event instanceof ChangeEvent.Message m && !m.transactional()) {
            produceRun(event.header().commitLsn());
        } else if (run.events() >= RUN_EVENTS || run.bytes() >= RUN_BYTES) {
            produceRun((Lsn) null);
        }
    }

    private void produceRun(ChangeEvent.Commit commit) {
        produceRun(commit.header().commitLsn(), commit);
    }

    private void produceRun(Lsn position) {
        produceRun(position, null);
    }

    /**
     * Produces the run built so far as one record, or as its fragments when it is longer than a
     * record may be (an event holding a value of megabytes); {@code position} is the stream position
     * it completes (a COMMIT's or a standalone event's LSN), null in the middle of a frame. Its last
     * record's acknowledgement acknowledges it: the producer keeps the order of one partition.
     */
    private void produceRun(Lsn position, ChangeEvent.Commit commit) {
        if (run.events() == 0) {
            return;
        }
        if (position != null) {
            sentPosition = position.value();
        }
        List<byte[]> records = Fragments.split(run.finish(), Fragments.MAX_RECORD_BYTES);
        for (int i = 0; i < records.size() - 1; i++) {
            producer.send(new ProducerRecord<>(topic, key, records.get(i)), fragmentSent); // a longer run's fragments
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, key, records.get(records.size() - 1));
        Callback acked = (md, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            } else if (position != null) {
                // The commit first: once allAcked() holds, the engine confirms the position to the
                // primary (whose synchronous commit then returns), and the acknowledged commit LSN
                // must already be there for whoever reads it next.
                if (commit != null) {
                    ackedCommit.accumulateAndGet(position.value(), StreamWriter::later);
                    if (onCommitAcked != null) {
                        onCommitAcked.accept(commit);
                    }
                }
                ackedPosition.accumulateAndGet(position.value(), StreamWriter::later);
            }
            synchronized (ackSignal) {
                ackSignal.notifyAll();
            }
        };
        producer.send(record, acked);
    }

    /**
     * While {@code behind}, records linger up to {@value #GATHER_MILLIS} ms for their batch to fill
     * (one produce request instead of one per transaction: on a busy machine the broker's work per
     * request is what a catch-up would otherwise pay for); otherwise each is sent at once. A change
     * waits until what was produced the other way is acknowledged ({@link PacedProducer}). The
     * pgoutput engine says it from its backlog probe.
     */
    public synchronized void gatherWhile(boolean behind) {
        producer.gatherWhile(behind);
    }

    /** Whether Kafka acknowledged every frame and standalone event produced so far. */
    public boolean allAcked() {
        return Long.compareUnsigned(ackedPosition.get(), sentPosition) >= 0;
    }

    private static long later(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /**
     * Waits up to {@code nanos} for an acknowledgement (any), so that a caller can go back to
     * reading between acknowledgements instead of holding new work behind them; throws the first
     * failure.
     */
    public void awaitAck(long nanos) {
        synchronized (ackSignal) {
            if (!allAcked() && failure.get() == null) {
                try {
                    ackSignal.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        Exception f = failure.get();
        if (f != null) {
            throw new CaptureException(Kind.FATAL, "producing to " + topic + " failed: " + f.getMessage(), f);
        }
    }

    /** The commit LSN of the last frame Kafka acknowledged in this producer's life, or {@code floor} if later. */
    public Lsn ackedCommitLsn(Lsn floor) {
        return Lsn.later(new Lsn(ackedCommit.get()), floor);
    }

    /** Blocks until every event sent so far is acknowledged; throws the first failure. */
    public void flush() {
        synchronized (this) {
            produceRun((Lsn) null);
        }
        producer.flush();
        Exception f = failure.get();
        if (f != null) {
            throw new CaptureException(Kind.FATAL, "producing to " + topic + " failed: " + f.getMessage(), f);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
