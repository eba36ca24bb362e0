package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.follower.Watermark;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.AppliedOffset;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.duckdb.DuckDBConnection;

/**
 * A follower of kind {@code duckdb}: an embedded DuckDB database file (docs/applier.md, "DuckDB
 * followers"). A follower transaction is a DuckDB transaction that holds the applied rows and the
 * watermark ({@code sluice.watermark} in the file) together, so a restart resumes exactly after the
 * last group committed. Rows go in bulk through staging tables ({@link DuckDbRows}); tables follow
 * the primary's shape ({@link DuckDbTables}).
 *
 * <p>The writer lock: DuckDB lets one process open a file for writing, and within this process one
 * applier per file and source is let in. Other processes cannot read the file while the applier
 * has it, so the watermark is also published as the metadata of the applier group's offset hint
 * ({@link AppliedOffset}), where the lag monitor reads it.
 */
public final class DuckDbStore implements FollowerStore {

    private static final Set<String> HELD = ConcurrentHashMap.newKeySet();
    private final ApplierConfig config;
    private final Clock clock;
    private final String held;
    private final DuckDbTables tables;
    private final DuckDbRows rows;
    private volatile DuckDBConnection connection;
    private boolean holding;
    /** The watermark as last read or committed: the next commit moves it from exactly there. */
    private volatile Watermark seen;
    private volatile String offsetMetadata;

    public DuckDbStore(ApplierConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.held = file(config).toString() + "\u0000" + config.sourceId();
        this.tables = new DuckDbTables(config.followerName());
        this.rows = new DuckDbRows(tables);
    }

    /** The follower's database file, from {@code jdbc:duckdb:<file>}; refused for an in-memory database. */
    public static Path file(ApplierConfig config) {
        String url = config.jdbcUrl();
        String path = url.startsWith("jdbc:duckdb:") ? url.substring("jdbc:duckdb:".length()) : "";
        int q = path.indexOf('?');
        path = q >= 0 ? path.substring(0, q) : path;
        if (path.isBlank() || path.startsWith(":memory:")) {
            throw new ApplierException("follower " + config.followerName() + " of kind duckdb needs a database file,"
                    + " url = jdbc:duckdb:/path/to/file.duckdb; got '" + url + "'", false, null);
        }
        return Path.of(path).toAbsolutePath().normalize();
    }

    @Override
    public String kind() {
        return "duckdb";
    }

    @Override
    public void start() throws SQLException {
        if (!HELD.add(held)) {
            throw new ApplierException("another applier of source " + config.sourceId() + " in this process writes DuckDB follower "
                    + config.followerName() + " (" + file(config) + "); one applier per follower", false, null);
        }
        holding = true;
        connect();
        DuckDbBookkeeping.create(connection);
        connection.commit();
    }

    @Override
    public void connect() throws SQLException {
        if (connection != null) {
            return;
        }
        Connection c;
        try {
            c = DriverManager.getConnection(config.jdbcUrl(), new Properties());
        } catch (SQLException e) {
            throw new ApplierException("follower " + config.followerName() + ": cannot open DuckDB file " + file(config)
                    + (String.valueOf(e.getMessage()).contains("lock") ? " (DuckDB lets one process write a file: is another"
                    + " applier or a DuckDB session holding it?)" : "") + ": " + e.getMessage(), false, e);
        }
        c.setAutoCommit(false);
        connection = c.unwrap(DuckDBConnection.class);
        rows.use(connection);
        tables.reset();
    }

    @Override
    public boolean connected() {
        return connection != null;
    }

    @Override
    public Optional<Watermark> watermark() throws SQLException {
        Optional<Watermark> w = DuckDbBookkeeping.read(connection, config.sourceId());
        connection.commit();
        seen = w.orElse(null);
        return w;
    }

    @Override
    public Optional<Watermark> watermarkNow() throws SQLException {
        DuckDBConnection session = connection;
        // Connections of one process share its database instance: a second one reads what the session committed.
        try (Connection c = session != null ? session.duplicate() : DriverManager.getConnection(config.jdbcUrl(), new Properties())) {
            return DuckDbBookkeeping.read(c, config.sourceId());
        }
    }

    @Override
    public void checkLock() {
        // DuckDB's file lock and this process's registry hold for as long as the store is open.
    }

    @Override
    public String streamOffsetMetadata() {
        return offsetMetadata;
    }

    @Override
    public Work insert(ChangeEvent.Insert e) {
        return () -> rows.insertMany(e.table(), List.copyOf(e.after().keySet()), List.of(e));
    }

    @Override
    public Work update(ChangeEvent.Update e) {
        if (e.key().isEmpty()) {
            return () -> rows.updateOne(e);
        }
        List<String> set = e.after().entrySet().stream().filter(c -> !(c.getValue() instanceof io.sluice.format.Value.Unchanged))
                .map(java.util.Map.Entry::getKey).toList();
        return () -> rows.updateMany(e.table(), e.key(), set, List.of(e));
    }

    @Override
    public Work delete(ChangeEvent.Delete e) {
        return e.key().isEmpty() ? () -> rows.deleteOne(e) : () -> rows.deleteMany(e.table(), e.key(), List.of(e));
    }

    @Override
    public Work truncate(ChangeEvent.Truncate e) {
        return () -> rows.truncate(e.tables());
    }

    @Override
    public Work copy(CopyEvent e) {
        List<ChangeEvent.Insert> inserts = e.inserts();
        return inserts.isEmpty() ? () -> { }
                : () -> rows.insertMany(e.table(), List.copyOf(inserts.get(0).after().keySet()), inserts);
    }

    @Override
    public Work schema(ChangeEvent.SchemaChange e, String at) {
        return () -> tables.apply(connection, e);
    }

    @Override
    public Work ddl(DdlMessage ddl, EventHeader header, String at) {
        return () -> tables.apply(connection, ddl, header, at);
    }

    @Override
    public Work drop(TableDrop drop, EventHeader header, String at) {
        return () -> {
            TableDrops.drop(connection, drop, header, at, config.followerName());
            tables.dropped(drop.table());
        };
    }

    @Override
    public Work insertMany(TableId table, List<String> columns, List<ChangeEvent.Insert> inserts) {
        return () -> rows.insertMany(table, columns, inserts);
    }

    @Override
    public Work updateMany(TableId table, List<String> key, List<String> set, List<ChangeEvent.Update> updates) {
        return () -> rows.updateMany(table, key, set, updates);
    }

    @Override
    public Work deleteMany(TableId table, List<String> key, List<ChangeEvent.Delete> deletes) {
        return () -> rows.deleteMany(table, key, deletes);
    }

    @Override
    public Work recordSkip(Lsn commitLsn, long xid, String reason) {
        return () -> DuckDbBookkeeping.recordSkip(connection, config.sourceId(), commitLsn, xid, reason, clock.instant());
    }

    @Override
    public Instant commit(GroupCommit g) throws SQLException {
        FrameEnd last = g.last();
        Instant now = clock.instant();
        long epoch = g.entered() != null ? g.entered().epoch() : seen == null ? 0 : seen.epoch();
        String follower = g.entered() != null ? g.entered().follower() : seen == null ? null : seen.epochFollower();
        Lsn fork = g.entered() != null ? g.fork() : seen == null ? null : seen.forkLsn();
        long transactions = (seen == null ? 0 : seen.transactions()) + g.frames();
        Watermark moved = new Watermark(last.commitLsn(), last.xid(), last.commitTime(), last.offset(), now, transactions, epoch,
                follower, fork);
        if (!DuckDbBookkeeping.advance(connection, config.sourceId(), seen, moved)) {
            throw new ApplierException("follower " + config.followerName() + ": the watermark of source " + config.sourceId()
                    + " is no longer where this applier left it; another writer moved it. Stopping", false, null);
        }
        connection.commit();
        seen = moved;
        offsetMetadata = new AppliedOffset(last.commitLsn(), last.xid(), last.commitTime(), now, transactions, epoch, follower, fork)
                .metadata();
        return now;
    }

    @Override
    public void rollback() throws SQLException {
        connection.rollback();
        rows.reset();
        tables.reset();
    }

    @Override
    public void disconnect() {
        Connection c = connection;
        connection = null;
        rows.reset();
        tables.reset();
        if (c != null) {
            try {
                c.close(); // DuckDB rolls back what the session had not committed
            } catch (SQLException ignored) {
                // closing after a failure
            }
        }
    }

    @Override
    public void close() {
        disconnect();
        if (holding) {
            holding = false;
            HELD.remove(held);
        }
    }
}
