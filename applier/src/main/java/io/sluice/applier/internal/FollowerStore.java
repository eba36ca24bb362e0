package io.sluice.applier.internal;

import io.sluice.format.follower.Watermark;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableDrop;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A follower store as the applier sees it: what any kind of follower must do for a stream to be
 * applied to it exactly once in effect (docs/applier.md, "Store interface").
 *
 * <p>The applier's two threads divide the calls. On the <em>stream thread</em>: {@link #start},
 * {@link #connect}, {@link #watermark}, {@link #checkLock}, {@link #rollback} (with the follower
 * thread idle), and the methods that <em>prepare</em> {@link Work} — they do the per-row work that
 * needs no store (building statements and their text) and return what the follower thread runs.
 * On the <em>follower thread</em> (or the stream thread while the follower thread is idle, for a
 * small group committed because the applier caught up): the prepared work, then {@link #commit}. One
 * thread uses the store at a time. A store transaction
 * begins with the first work run after a commit or a rollback, and ends at {@link #commit}, which
 * moves the store's watermark with it (FORMAT.md, "The watermark").
 */
public interface FollowerStore extends AutoCloseable {

    /** What kind of store this is, for logs and status ({@code postgresql}). */
    String kind();

    /**
     * Makes the store ready (its bookkeeping created or migrated) and takes its writer lock: one
     * applier per follower and source.
     *
     * @throws io.sluice.applier.ApplierException naming the applier that holds the lock
     */
    void start() throws SQLException;

    /** Opens the store's session; again after a retriable failure closed it. */
    void connect() throws SQLException;

    /** Whether a session is open. */
    boolean connected();

    /**
     * Whether a group's row changes may be collapsed to each key's final state ({@link GroupCollapser}):
     * a database shows its readers only committed states, so yes; a change topic's consumers see
     * every record, so each change is written as it happened.
     */
    default boolean collapsesRows() {
        return true;
    }

    /**
     * Whether the store commits the applier group's offset on the stream itself, with the
     * watermark (change topics do, in their Kafka transaction); otherwise the applier commits it as
     * a hint for the lag monitor.
     */
    default boolean keepsStreamOffsets() {
        return false;
    }

    /**
     * The watermark as metadata of the applier group's offset hint ({@link io.sluice.format.AppliedOffset}),
     * for a store the lag monitor cannot read itself (a DuckDB file has one process); null otherwise.
     */
    default String streamOffsetMetadata() {
        return null;
    }

    /**
     * Reads the watermark in the session; the next {@link #commit} moves it from exactly there
     * (compare-and-set), so another writer's move is found, not overwritten.
     */
    Optional<Watermark> watermark() throws SQLException;

    /** Reads the watermark outside the session (any thread): where the store stands now. */
    Optional<Watermark> watermarkNow() throws SQLException;

    /** Confirms the writer lock is still held (called often; cheap when nothing is due). */
    void checkLock() throws SQLException;

    Work insert(ChangeEvent.Insert e);

    Work update(ChangeEvent.Update e);

    Work delete(ChangeEvent.Delete e);

    Work truncate(ChangeEvent.Truncate e);

    /** Rows of a snapshot, as COPY text. */
    Work copy(CopyEvent e);

    /** A table's shape; {@code at} names the event's topic-partition@offset. */
    Work schema(ChangeEvent.SchemaChange e, String at);

    /** A DDL message, as it happened on the primary. */
    Work ddl(DdlMessage ddl, EventHeader header, String at);

    /** A table the primary dropped ({@link TableDrop}), read at {@code at} (topic-partition@offset). */
    Work drop(TableDrop drop, EventHeader header, String at);

    /** Rows of one table and one shape, each key's final state of a group (see {@link GroupCollapser}). */
    Work insertMany(TableId table, List<String> columns, List<ChangeEvent.Insert> rows);

    Work updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows);

    Work deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows);

    /** Records a transaction the operator asked to skip. */
    Work recordSkip(Lsn commitLsn, long xid, String reason);

    /** Writes what the group still holds, moves the watermark to its last transaction and commits; returns when. */
    Instant commit(GroupCommit group) throws SQLException;

    /** Undoes the open store transaction (the follower thread idle). */
    void rollback() throws SQLException;

    /** Closes the session, rolling back what it had not committed; quietly. */
    void disconnect();

    /** What to do about a failure the store reported as an {@link SQLException}: by its SQLSTATE. */
    default FailureKind classify(SQLException e) {
        return FailureKind.of(e);
    }

    /** Disconnects and releases the writer lock. */
    @Override
    void close();
}
