package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.FollowerPipeline.Segment;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a follower store's failure leads to, by its kind ({@link FailureKind}): a collapsed group
 * that broke a constraint between its rows is applied again in source order, and a group whose
 * transaction used an enum label an earlier one of it added, again one source transaction per
 * follower transaction — both at once; a failure the store calls retriable, after a backoff;
 * anything else stops the applier with the source transaction and the store's message.
 *
 * <p>Not thread-safe: the applier's stream thread, once the follower thread has failed.
 */
public final class StoreFailures {

    private static final Logger log = LoggerFactory.getLogger(StoreFailures.class);

    /** How the applier resumes from its watermark after a failure it recovers from. */
    public enum Resume { AT_ONCE, AFTER_BACKOFF }

    private final String follower;
    private final FollowerStore store;
    private final FollowerPipeline pipeline;
    private final GroupAssembler assembler;

    public StoreFailures(String follower, FollowerStore store, FollowerPipeline pipeline, GroupAssembler assembler) {
        this.follower = follower;
        this.store = store;
        this.pipeline = pipeline;
        this.assembler = assembler;
    }

    /**
     * How the applier resumes after {@code e}, having told the assembler how to group what it
     * reads again.
     *
     * @throws ApplierException when the applier must stop
     */
    public Resume resume(SQLException e) {
        Segment failed = pipeline.failedSegment();
        switch (store.classify(e)) {
            case ORDER -> {
                if (failed != null && failed.collapsed()) {
                    log.warn("follower {}: a collapsed group broke a constraint between rows ({}); applying the source"
                            + " transactions up to stream offset {} again in source order", follower, e.getMessage(),
                            failed.endOffset());
                    assembler.orderedThrough(failed.endOffset());
                    return Resume.AT_ONCE;
                }
            }
            case ONE_PER_GROUP -> {
                // Once the failed transaction was a follower transaction of its own, splitting cannot help.
                if (failed != null && !assembler.onePerGroupAt(failed.endOffset())) {
                    log.warn("follower {}: a source transaction used an enum label an earlier one of the same group added ({});"
                            + " applying the source transactions up to stream offset {} again, one per follower transaction",
                            follower, e.getMessage(), failed.endOffset());
                    assembler.onePerGroupThrough(failed.endOffset());
                    return Resume.AT_ONCE;
                }
            }
            case RETRY -> {
                return Resume.AFTER_BACKOFF;
            }
            default -> { }
        }
        throw stop(e);
    }

    /** The applier stops on {@code e}: named by the source transaction it was applying, if any. */
    public ApplierException stop(SQLException e) {
        Segment failed = pipeline.failedSegment();
        String where = failed != null ? " " + failed.where() : assembler.where() != null ? " " + assembler.where() : "";
        return new ApplierException("the follower " + follower + " refused a change" + where + ": " + e.getMessage()
                + " [SQLSTATE " + e.getSQLState() + "]", false, e);
    }
}
