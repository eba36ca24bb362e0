package io.sluice.capture.internal;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.Epochs;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EpochMarker;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Capture's Kafka side at a start, made ready on a thread of its own while the primary's lock is
 * taken — none of it writes to the stream: the stream's producer and topic (made once, kept across
 * reconnects) and the newest promotion on the epochs topic.
 */
public final class StreamSetup {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CompletableFuture<Optional<EpochMarker>> promotion;
    private volatile StreamWriter writer;

    private StreamSetup(CaptureConfig config, StreamWriter existing, Consumer<ChangeEvent.Commit> onCommitAcked) {
        this.writer = existing;
        this.promotion = CompletableFuture.supplyAsync(() -> {
            if (writer == null) {
                writer = new StreamWriter(config.sourceId(), config.kafka(), onCommitAcked);
                writer.ensureTopic(TIMEOUT);
            }
            return Epochs.latest(config.sourceId(), config.kafka(), TIMEOUT);
        }, r -> {
            Thread t = new Thread(r, "sluice-capture-start-" + config.sourceId());
            t.setDaemon(true);
            t.start();
        });
    }

    /** Starts making it ready; {@code existing} is the producer of an earlier start, if any. */
    public static StreamSetup begin(CaptureConfig config, StreamWriter existing, Consumer<ChangeEvent.Commit> onCommitAcked) {
        return new StreamSetup(config, existing, onCommitAcked);
    }

    /** Waits until it is ready: the newest promotion; throws what failed. */
    public Optional<EpochMarker> promotion() {
        try {
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
