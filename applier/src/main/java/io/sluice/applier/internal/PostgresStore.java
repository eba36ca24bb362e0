package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.SessionSettings;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL follower: one session (a pgjdbc connection, autocommit off) whose transactions
 * hold the applied rows and the watermark together ({@link Bookkeeping}), an advisory lock on a
 * connection of its own ({@link FollowerLock}), tables kept in the stream's shape
 * ({@link SchemaSync}, {@link DdlSync}) and rows written by {@link RowWriter}.
 */
public final class PostgresStore implements FollowerStore {

    private static final Logger log = LoggerFactory.getLogger(PostgresStore.class);

    /** How often the stream thread confirms the applier lock is still held. */
    static final Duration LOCK_CHECK_INTERVAL = Duration.ofSeconds(5);
    /** How long {@code sluice.applied_group} keeps a group: tokens older than this are judged by LSN alone. */
    public static final Duration APPLIED_GROUP_RETENTION = Duration.ofHours(1);

    private final ApplierConfig config;
    private final Clock clock;
    private final SchemaSync schemas;
    private final DdlSync ddls;
    private final AppliedGroupRetention retention = new AppliedGroupRetention(APPLIED_GROUP_RETENTION);
    private FollowerLock lock;
    private volatile Connection connection;
    private RowWriter writer;
    /** Null unless the follower is a leader itself ({@code config.conflicts()}). */
    private final LeaderSession leader;
    private ConflictingRows conflicting;
    /**
     * Where this applier last saw the watermark (read at a seek, then its own commits); a commit
     * moves it only from there. Written by the stream thread while the follower thread is idle,
     * and by the follower thread.
     */
    private volatile Bookkeeping.Position watermarkSeen;

    public PostgresStore(ApplierConfig config, Clock clock) {
        this.config = config;
        this.schemas = new SchemaSync(config);
        this.ddls = new DdlSync(schemas);
        this.clock = clock;
        this.leader = config.conflicts() == null ? null : new LeaderSession(config);
    }

    @Override
    public String kind() {
        return "postgresql";
    }

    @Override
    public void start() throws SQLException {
        Bookkeeping.migrate(config.jdbcUrl(), config.connection());
        lock = new FollowerLock(config.jdbcUrl(), config.connection(), config.sourceId(), config.followerName(),
                LOCK_CHECK_INTERVAL);
        lock.acquire();
        connect();
        // The running applier prunes once a minute from marks it keeps in memory; what older runs
        // left behind goes here.
        Bookkeeping.pruneOlderThan(connection, config.sourceId(), APPLIED_GROUP_RETENTION);
        connection.commit();
    }

    @Override
    public void connect() throws SQLException {
        Properties p = config.connection();
        p.setProperty("reWriteBatchedInserts", "true");
        p.setProperty("stringtype", "unspecified");
        p.setProperty("ApplicationName", "sluice-applier-" + config.followerName());
        Connection c = DriverManager.getConnection(config.jdbcUrl(), p);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(SessionSettings.sql()); // values are read as capture's session printed them
        }
        c.commit();
        try (Statement st = c.createStatement()) {
            // Like native logical replication: no user triggers or FK checks fire on applied rows.
            st.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            c.rollback();
            log.warn("follower {}: cannot SET session_replication_role = replica ({}); triggers will fire on applied rows",
                    config.followerName(), e.getMessage());
        }
        c.commit();
        try (Statement st = c.createStatement()) {
            // The multi-row UPDATE/DELETE join an unnest of keys to the table. Costed with the
            // default random_page_cost (4, spinning disks), PostgreSQL hashes the whole table
            // (a sequential scan per statement) rather than probe the key's index for each row;
            // a follower being applied to is hot in memory, so tell the planner random reads are
            // cheap. A table without an index still gets its hash join. No JIT for short DML.
            st.execute("SET random_page_cost = 1.1");
            st.execute("SET jit = off");
        }
        c.commit();
        connection = c;
        writer = new RowWriter(c, schemas);
        schemas.reset();
        if (leader != null) {
            leader.open(c);
            conflicting = new ConflictingRows(config, c, writer, leader);
        }
    }

    /** A leader's rows are applied change by change, each checked against the row it meets. */
    @Override
    public boolean collapsesRows() {
        return leader == null;
    }

    @Override
    public boolean connected() {
        return connection != null;
    }

    @Override
    public Optional<Watermark> watermark() throws SQLException {
        Optional<Watermark> w = Watermark.read(connection, config.sourceId());
        connection.commit();
        watermarkSeen = w.map(m -> new Bookkeeping.Position(m.commitLsn(), m.streamOffset())).orElse(null);
        return w;
    }

    @Override
    public Optional<Watermark> watermarkNow() throws SQLException {
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.connection())) {
            return Watermark.read(c, config.sourceId());
        }
    }

    @Override
    public void checkLock() throws SQLException {
        lock.check();
    }

    @Override
    public Work insert(ChangeEvent.Insert e) {
        return leader == null ? () -> writer.insert(e) : () -> conflicting.insert(e);
    }

    @Override
    public Work update(ChangeEvent.Update e) {
        return leader == null ? () -> writer.update(e) : () -> conflicting.update(e);
    }

    @Override
    public Work delete(ChangeEvent.Delete e) {
        return leader == null ? () -> writer.delete(e) : () -> conflicting.delete(e);
    }

    @Override
    public Work truncate(ChangeEvent.Truncate e) {
        return () -> writer.truncate(e);
    }

    @Override
    public Work copy(CopyEvent e) {
        return () -> writer.copy(e);
    }

    @Override
    public Work schema(ChangeEvent.SchemaChange e, String at) {
        return shapeChange(() -> schemas.apply(connection, e, at));
    }

    @Override
    public Work ddl(DdlMessage ddl, EventHeader header, String at) {
        return shapeChange(() -> ddls.apply(connection, ddl, header, at));
    }

    @Override
    public Work drop(TableDrop drop, EventHeader header, String at) {
        return shapeChange(() -> {
            FollowerInheritance.release(connection, drop.table()); // the primary's messages say what becomes of its children
            TableDrops.drop(connection, drop, header, at, config.followerName());
            schemas.forget(drop.table());
        });
    }

    /** A change of a table's shape: after the rows written before it, and the conflict checks told. */
    private Work shapeChange(Work change) {
        return () -> {
            writer.flush();
            change.run();
            writer.shapesChanged();
            if (conflicting != null) {
                conflicting.schemaChanged();
            }
        };
    }

    // Each key's final state is sorted into statements and its values turned into text (COPY text,
    // text arrays) here, on the stream thread; the follower thread, which with the follower's
    // backend is the serial path, only runs them.

    @Override
    public Work insertMany(TableId table, List<String> columns, List<ChangeEvent.Insert> rows) {
        CopyLoader.CopyText text = RowWriter.copyText(columns, rows);
        return () -> writer.insertMany(table, columns, rows, text);
    }

    @Override
    public Work updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> rows) {
        UnnestStatements.ColumnTexts texts = RowWriter.updateTexts(key, set, rows);
        return () -> writer.updateMany(table, key, set, rows, texts);
    }

    @Override
    public Work deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> rows) {
        UnnestStatements.ColumnTexts texts = RowWriter.deleteTexts(key, rows);
        return () -> writer.deleteMany(table, key, rows, texts);
    }

    @Override
    public Work recordSkip(Lsn commitLsn, long xid, String reason) {
        return () -> Bookkeeping.recordSkip(connection, config.sourceId(), commitLsn, xid, reason);
    }

    @Override
    public Instant commit(GroupCommit g) throws SQLException {
        FrameEnd last = g.last();
        Instant now = clock.instant();
        Lsn pruneBelow = retention.pruneBelow(last.commitLsn(), now);
        boolean common = g.entered() == null && g.sequences() == null && pruneBelow == null;
        Bookkeeping.Leading leading = common ? writer.takeSingleInsert() : null;
        writer.flush();
        if (leader != null) {
            leader.stamp(last.commitLsn(), last.commitTime()); // one source transaction per group
        }
        if (common) {
            // The common group: its last single insert, the watermark's move and the COMMIT in one round trip.
            Bookkeeping.advanceAndCommit(connection, leading, config.sourceId(), watermarkSeen, last.commitLsn(), last.xid(),
                    last.commitTime(), last.offset(), g.frames(), g.firstLsn(), g.xids(), g.xids().length);
        } else {
            Bookkeeping.advance(connection, config.sourceId(), watermarkSeen, last.commitLsn(), last.xid(), last.commitTime(),
                    last.offset(), g.frames(), g.firstLsn(), g.xids(), g.xids().length);
            if (g.entered() != null) {
                Bookkeeping.enterEpoch(connection, config.sourceId(), g.entered(), g.fork());
            }
            if (g.sequences() != null) {
                Bookkeeping.keepSequences(connection, config.sourceId(), g.sequences(), g.sequencesOffset());
            }
            if (pruneBelow != null) {
                Bookkeeping.prune(connection, config.sourceId(), pruneBelow);
            }
            connection.commit();
        }
        watermarkSeen = new Bookkeeping.Position(last.commitLsn(), last.offset());
        schemas.committed();
        return now;
    }

    @Override
    public void rollback() throws SQLException {
        connection.rollback();
        writer.reset();
        schemas.reset();
    }

    @Override
    public void disconnect() {
        if (writer != null) {
            writer.reset();
        }
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection may be broken; that is why it is closed
            }
            try {
                c.close();
            } catch (SQLException ignored) {
                // as above
            }
        }
    }

    @Override
    public void close() {
        disconnect();
        if (lock != null) {
            lock.close();
        }
    }
}
