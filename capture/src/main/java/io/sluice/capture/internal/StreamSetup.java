package io.sluice.capture.internal;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.Epochs;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Capture's Kafka side at a start, made ready on threads of their own while the primary's lock is
 * taken — none of it writes to the stream: the stream's producer and topic (made once, kept across
 * reconnects) on one, the newest promotion on the epochs topic on another (each is a Kafka client's
 * start and a metadata round trip or two, and neither needs the other).
 */
public final class StreamSetup {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CompletableFuture<Void> stream;
    private final CompletableFuture<Optional<EpochMarker>> promotion;
    private volatile StreamWriter writer;

    private StreamSetup(CaptureConfig config, StreamWriter existing, Consumer<ChangeEvent.Commit> onCommitAcked) {
        this.writer = existing;
        this.stream = CompletableFuture.runAsync(() -> {
            if (writer == null) {
                writer = new StreamWriter(config.sourceId(), config.kafka(), onCommitAcked);
                writer.ensureTopic(TIMEOUT);
            }
        }, thread("sluice-capture-start-" + config.sourceId()));
        this.promotion = CompletableFuture.supplyAsync(() -> Epochs.latest(config.sourceId(), config.kafka(), TIMEOUT),
                thread("sluice-capture-epochs-" + config.sourceId()));
    }

    private static Executor thread(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.start();
        };
    }

    /** Starts making it ready; {@code existing} is the producer of an earlier start, if any. */
    public static StreamSetup begin(CaptureConfig config, StreamWriter existing, Consumer<ChangeEvent.Commit> onCommitAcked) {
        return new StreamSetup(config, existing, onCommitAcked);
    }

    /** Waits until both are ready: the newest promotion; throws what failed. */
    public Optional<EpochMarker> promotion() {
        try {
            CompletableFuture.allOf(stream, promotion).join();
            return promotion.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** The producer, once {@link #promotion} has returned or thrown: null only if making it failed. */
    public StreamWriter writer() {
        return writer;
    }
}
