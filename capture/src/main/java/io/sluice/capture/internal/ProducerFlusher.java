package io.sluice.capture.internal;

import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a producer that lingers send what it has at once, without the caller waiting: the
 * producer's only way to cut a linger short is {@code flush()}, which also blocks until Kafka
 * acknowledges, so it runs here, on a thread of its own. Requests while a flush runs are folded
 * into one more flush (records appended during a flush are sent at once anyway).
 */
final class ProducerFlusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProducerFlusher.class);

    private final Producer<?, ?> producer;
    private final Thread thread;
    private boolean requested;
    private boolean closed;

    ProducerFlusher(Producer<?, ?> producer, String name) {
        this.producer = producer;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Asks for everything produced so far to be sent now. */
    synchronized void request() {
        if (!requested) {
            requested = true;
            notifyAll();
        }
    }

    private void run() {
        while (awaitRequest()) {
            try {
                producer.flush();
            } catch (RuntimeException e) {
                // A failed record reports itself through its callback; the flush only hurried it.
                log.debug("flush failed: {}", e.getMessage());
            }
        }
    }

    private synchronized boolean awaitRequest() {
        while (!requested && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                return false;
            }
        }
        requested = false;
        return !closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
