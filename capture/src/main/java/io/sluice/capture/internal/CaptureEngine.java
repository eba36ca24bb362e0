package io.sluice.capture.internal;

import io.sluice.format.Lsn;
import java.time.Duration;

/**
 * What reads the primary's changes and writes them to the stream through a {@link FrameWriter}:
 * Sluice's own pgoutput reader or the Debezium embedded engine ({@code capture.engine}). The
 * service around it owns the lock, the slot check, the stream's producer and the lifecycle.
 */
public interface CaptureEngine extends AutoCloseable {

    /**
     * Starts reading and returns once the engine runs.
     *
     * @throws io.sluice.capture.CaptureException when it cannot start within {@code timeout}
     */
    void start(Duration timeout);

    /** The commit LSN of the last frame Kafka acknowledged. */
    Lsn lastCommittedLsn();

    /** Stops reading; what was not acknowledged by Kafka is read again from the slot next time. */
    @Override
    void close();
}
