package io.sluice.capture.internal;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureException;
import io.sluice.capture.CaptureException.Kind;
import io.sluice.format.Lsn;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium embedded engine as capture's engine ({@code capture.engine = debezium}): Debezium
 * reads the slot and snapshots, {@link FrameAssembler} maps its records to frames. An error the
 * engine reports after start is handed to {@code onFailure}.
 */
public final class DebeziumCapture implements CaptureEngine {

    private static final Logger log = LoggerFactory.getLogger(DebeziumCapture.class);

    private final CaptureConfig config;
    private final boolean snapshot;
    private final Consumer<Throwable> onFailure;
    private final Supplier<Connection> primary;
    private final TableShapes shapes;
    private final FrameAssembler assembler;
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean closing;
    private volatile Throwable failure;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private ExecutorService executor;

    public DebeziumCapture(CaptureConfig config, boolean snapshot, Supplier<Connection> primary, StreamWriter writer,
                           Lsn streamedThrough, Consumer<Throwable> onFailure, java.time.Clock clock) {
        this.config = config;
        this.snapshot = snapshot;
        this.onFailure = onFailure;
        this.primary = primary;
        this.shapes = new TableShapes(primary);
        this.assembler = new FrameAssembler(config.sourceId(), () -> shapes, MessageGate.of(primary, config.publicationName()),
                new FrameWriter.BufferSettings(10_000, config.stateDirectory().resolve("spill")),
                writer, clock, streamedThrough);
    }

    @Override
    public void start(Duration timeout) {
        try (Connection c = primary.get()) {
            PublicationCheck.refuseColumnLists(c, config.publicationName());
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "could not read the publication's column lists: " + e.getMessage(), e);
        }
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties())
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
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!started.await(50, TimeUnit.MILLISECONDS)) {
                Throwable f = failure;
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

    /**
     * The engine's settings; for a snapshot, a parent table's own rows only — Debezium selects from
     * the table, which includes the rows of every table that inherits from it, captured as
     * themselves — and a table's rows that the publication's row filter passes, those the stream carries.
     */
    private Properties properties() {
        Properties p = EngineProperties.of(config, snapshot);
        if (!snapshot) {
            return p;
        }
        List<String> overridden = new ArrayList<>();
        try (Connection c = primary.get()) {
            String filter = c.getMetaData().getDatabaseMajorVersion() >= 15 ? "pt.rowfilter" : "NULL::text";
            try (var ps = c.prepareStatement("SELECT quote_ident(n.nspname) || '.' || quote_ident(k.relname), n.nspname || '.' || k.relname,"
                    + " k.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = k.oid), " + filter
                    + " FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace"
                    + " LEFT JOIN pg_publication_tables pt ON pt.pubname = ? AND pt.schemaname = n.nspname AND pt.tablename = k.relname"
                    + " WHERE k.relkind IN ('r', 'p') AND (k.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = k.oid)"
                    + " OR " + filter + " IS NOT NULL)")) {
                ps.setString(1, config.publicationName());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(2);
                        overridden.add(name);
                        p.put("snapshot.select.statement.overrides." + name, "SELECT * FROM " + (rs.getBoolean(3) ? "ONLY " : "")
                                + rs.getString(1) + (rs.getString(4) == null ? "" : " WHERE (" + rs.getString(4) + ")"));
                    }
                }
            }
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "could not read which tables have inheriting tables or row filters: "
                    + e.getMessage(), e);
        }
        if (!overridden.isEmpty()) {
            p.put("snapshot.select.statement.overrides", String.join(",", overridden));
        }
        return p;
    }

    private void completed(boolean success, String message, Throwable error) {
        if (closing && isRejectedExecution(error)) {
            // Closing while Debezium's async engine still had records in flight: its record pool
            // refuses them once shut down. Nothing of theirs reached Kafka or was confirmed to the
            // slot, so the next start reads them again; this is a stop, not a failure.
            log.info("capture engine stopped with records in flight; they are read again from the slot on the next start");
        } else if (!success || error != null) {
            log.error("capture engine stopped with an error: {}", message, error);
            failure = error != null ? error : new IllegalStateException(message);
            onFailure.accept(failure);
        } else {
            log.info("capture engine stopped: {}", message);
        }
        finished.countDown();
    }

    private static boolean isRejectedExecution(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RejectedExecutionException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Lsn lastCommittedLsn() {
        return assembler.lastCommittedLsn();
    }

    @Override
    public void close() {
        closing = true;
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
        assembler.discardOpenFrame();
        shapes.close();
    }

    /**
     * Closes the engine. Debezium's async engine refuses to stop while its tasks are still starting
     * (it reports {@code taskStarted} a moment before it counts itself running), so a close right
     * after {@link #start} is retried until the engine accepts it.
     */
    private void closeEngine(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                engine.close();
                return;
            } catch (IllegalStateException e) {
                if (finished.getCount() == 0) {
                    return; // it stopped on its own (a failure): nothing left to stop
                }
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
}
