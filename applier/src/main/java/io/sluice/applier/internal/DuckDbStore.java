package io.sluice.applier.internal;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.applier.internal.Bookkeeping.Watermark;
import io.sluice.applier.internal.FollowerPipeline.Work;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.AppliedOffset;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
    private static final String BOOKKEEPING = """
            CREATE SCHEMA IF NOT EXISTS sluice;
            CREATE TABLE IF NOT EXISTS sluice.watermark (source VARCHAR PRIMARY KEY, commit_lsn VARCHAR NOT NULL, xid BIGINT NOT NULL,
              commit_time_us BIGINT NOT NULL, stream_offset BIGINT NOT NULL, applied_at_us BIGINT NOT NULL,
              transactions BIGINT NOT NULL, epoch BIGINT NOT NULL DEFAULT 0, epoch_follower VARCHAR, fork_lsn VARCHAR);
            CREATE TABLE IF NOT EXISTS sluice.skipped_transaction (source VARCHAR NOT NULL, commit_lsn VARCHAR NOT NULL,
              xid BIGINT NOT NULL, reason VARCHAR NOT NULL, skipped_at_us BIGINT NOT NULL)""";

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
        try (Statement st = connection.createStatement()) {
            st.execute(BOOKKEEPING);
        }
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
        Optional<Watermark> w = read(connection);
        connection.commit();
        seen = w.orElse(null);
        return w;
    }

    @Override
    public Optional<Watermark> watermarkNow() throws SQLException {
        DuckDBConnection session = connection;
        // Connections of one process share its database instance: a second one reads what the session committed.
        try (Connection c = session != null ? session.duplicate() : DriverManager.getConnection(config.jdbcUrl(), new Properties())) {
            return read(c);
        }
    }

    private Optional<Watermark> read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT commit_lsn, xid, commit_time_us, stream_offset,"
                + " applied_at_us, transactions, epoch, epoch_follower, fork_lsn FROM sluice.watermark WHERE source = ?")) {
            ps.setString(1, config.sourceId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Watermark(Lsn.parse(rs.getString(1)), rs.getLong(2), micros(rs.getLong(3)), rs.getLong(4),
                        micros(rs.getLong(5)), rs.getLong(6), rs.getLong(7), rs.getString(8),
                        rs.getString(9) == null ? null : Lsn.parse(rs.getString(9))));
            }
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
        return () -> {
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO sluice.skipped_transaction VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, config.sourceId());
                ps.setString(2, commitLsn.toString());
                ps.setLong(3, xid);
                ps.setString(4, reason);
                ps.setLong(5, epochMicros(clock.instant()));
                ps.executeUpdate();
            }
        };
    }

    @Override
    public Instant commit(GroupCommit g) throws SQLException {
        FrameEnd last = g.last();
        Instant now = clock.instant();
        long epoch = g.entered() != null ? g.entered().epoch() : seen == null ? 0 : seen.epoch();
        String follower = g.entered() != null ? g.entered().follower() : seen == null ? null : seen.epochFollower();
        Lsn fork = g.entered() != null ? g.fork() : seen == null ? null : seen.forkLsn();
        long transactions = (seen == null ? 0 : seen.transactions()) + g.frames();
        String sql = seen == null
                ? "INSERT INTO sluice.watermark (commit_lsn, xid, commit_time_us, stream_offset, applied_at_us, transactions, epoch,"
                + " epoch_follower, fork_lsn, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                : "UPDATE sluice.watermark SET commit_lsn = ?, xid = ?, commit_time_us = ?, stream_offset = ?,"
                + " applied_at_us = ?, transactions = ?, epoch = ?, epoch_follower = ?, fork_lsn = ?"
                + " WHERE source = ? AND commit_lsn = ? AND stream_offset = ?";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, last.commitLsn().toString());
            ps.setLong(2, last.xid());
            ps.setLong(3, epochMicros(last.commitTime()));
            ps.setLong(4, last.offset());
            ps.setLong(5, epochMicros(now));
            ps.setLong(6, transactions);
            ps.setLong(7, epoch);
            ps.setString(8, follower);
            ps.setString(9, fork == null ? null : fork.toString());
            ps.setString(10, config.sourceId());
            if (seen != null) {
                ps.setString(11, seen.commitLsn().toString());
                ps.setLong(12, seen.streamOffset());
            }
            if (ps.executeUpdate() != 1) {
                throw new ApplierException("follower " + config.followerName() + ": the watermark of source " + config.sourceId()
                        + " is no longer where this applier left it; another writer moved it. Stopping", false, null);
            }
        }
        connection.commit();
        seen = new Watermark(last.commitLsn(), last.xid(), last.commitTime(), last.offset(), now, transactions, epoch, follower, fork);
        offsetMetadata = new AppliedOffset(last.commitLsn(), last.xid(), last.commitTime(), now, transactions, epoch, follower, fork)
                .metadata();
        return now;
    }

    private static long epochMicros(Instant t) {
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }

    private static Instant micros(long epochMicros) {
        return Instant.EPOCH.plusNanos(Math.multiplyExact(epochMicros, 1000L));
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
                c.rollback();
            } catch (SQLException ignored) {
                // closing after a failure
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
        if (holding) {
            holding = false;
            HELD.remove(held);
        }
    }
}
