package io.sluice.applier;

import io.sluice.applier.internal.Bookkeeping;
import io.sluice.applier.internal.DdlSync;
import io.sluice.applier.internal.SchemaSync;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EpochMarker;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.SessionSettings;
import io.sluice.format.TableId;
import io.sluice.format.follower.SnapshotTarget;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * A PostgreSQL follower seeded by capture's direct snapshot (docs/capture.md): its tables created
 * from the snapshot's definition events as the applier would (a new table's primary key added
 * after its rows), their rows loaded with {@code COPY … FROM STDIN} in parts on connections of
 * their own, and then its watermark set to the snapshot's consistent point, so its applier skips the snapshot frame and applies the stream from
 * there. The follower must hold no watermark of the source and no rows in the tables it receives.
 *
 * <p>The watermark it writes has no stream offset (-1): the snapshot frame is not on Kafka yet when
 * the follower commits; its applier then reads the stream from the beginning and skips by commit LSN.
 */
public final class DirectSeed implements SnapshotTarget {

    private static final String WHERE = "direct snapshot";
    private static final String KEY_BUILD_MEMORY = "512MB";

    private final ApplierConfig config;
    private final SchemaSync schemas;
    private final DdlSync ddls;
    private final List<ChangeEvent.SchemaChange> keyedLater = new ArrayList<>();
    private Connection connection;
    private Lsn consistentPoint;
    private long xid;
    private Instant commitTime;
    /** The epoch the seed is taken in, past a promotion: its watermark then starts at the marker. */
    private final EpochMarker epoch;

    public DirectSeed(ApplierConfig config) {
        this(config, null);
    }

    /**
     * A seed taken from the primary a promotion made ({@code epoch}, completed): its watermark is
     * in that epoch at the marker's offset, so its applier reads on from there (docs/failover.md).
     */
    public DirectSeed(ApplierConfig config, EpochMarker epoch) {
        this.config = config;
        this.schemas = new SchemaSync(config);
        this.ddls = new DdlSync(schemas);
        this.epoch = epoch;
    }

    /** The follower's name. */
    @Override
    public String name() {
        return config.followerName();
    }

    /** Opens the follower; refuses one that holds a watermark of this source already. */
    @Override
    public void begin(Lsn consistentPoint, long xid, Instant commitTime) throws SQLException {
        this.consistentPoint = consistentPoint;
        this.xid = xid;
        this.commitTime = commitTime;
        Bookkeeping.migrate(config.jdbcUrl(), config.connection());
        connection = open();
        Optional<Watermark> w = Watermark.read(connection, config.sourceId());
        connection.commit();
        if (w.isPresent()) {
            throw new ApplierException("follower " + name() + " already holds a watermark of source " + config.sourceId()
                    + " (at " + w.get().commitLsn() + "): a direct snapshot seeds only a follower that has none."
                    + " Take it off capture.snapshot.direct, or empty the follower", false, null);
        }
    }

    /** Creates or evolves a table from its definition events; refuses a table that holds rows. */
    @Override
    public void define(List<ChangeEvent> definition) throws SQLException {
        for (ChangeEvent e : definition) {
            if (e instanceof ChangeEvent.SchemaChange s) {
                if (!SchemaSync.tableExists(connection, s.table()) && !s.keyColumns().isEmpty()) {
                    // A new table is loaded first and keyed after (one index build, as pg_restore does).
                    schemas.apply(connection, withoutKey(s), WHERE);
                    keyedLater.add(s);
                } else {
                    schemas.apply(connection, s, WHERE);
                    refuseRows(s.table());
                }
            } else if (e instanceof ChangeEvent.Message m && m.transactional() && m.prefix().equals(DdlMessage.PREFIX)) {
                try {
                    ddls.apply(connection, DdlMessage.parse(m.content()), m.header(), WHERE);
                } catch (FormatException ex) {
                    throw new ApplierException("bad DDL message in the " + WHERE + ": " + ex.getMessage(), false, ex);
                }
            }
        }
        connection.commit();
        schemas.committed();
    }

    private void refuseRows(TableId table) throws SQLException {
        if (SchemaSync.holdsRows(connection, table)) {
            connection.rollback();
            throw new ApplierException("follower " + name() + " table " + table + " already holds rows: a direct snapshot"
                    + " loads only empty tables (a seed that stopped half-way leaves its tables loaded: truncate them"
                    + " and start capture again)", false, null);
        }
    }

    /** One part of a table's rows: a COPY on a connection and in a transaction of its own. */
    @Override
    public Part load(TableId table, List<String> columns) throws SQLException {
        Connection c = open();
        try {
            String sql = "COPY " + table.quoted() + " (" + columns.stream().map(TableId::quote).collect(Collectors.joining(", "))
                    + ") FROM STDIN";
            return new Part(c, table, c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    private static ChangeEvent.SchemaChange withoutKey(ChangeEvent.SchemaChange s) {
        return new ChangeEvent.SchemaChange(s.header(), s.table(), s.columns().stream()
                .map(c -> new Column(c.name(), c.type(), c.nullable(), false, c.enumLabels())).toList(), s.replicaIdentity());
    }

    /** Keys the tables loaded without one, and sets the watermark at the snapshot's consistent point. */
    @Override
    public void commit() throws SQLException {
        if (!keyedLater.isEmpty()) {
            try (Statement st = connection.createStatement()) {
                // The key builds sort whole tables: in memory rather than in temporary files, as pg_restore is advised to.
                st.execute("SET LOCAL maintenance_work_mem = '" + KEY_BUILD_MEMORY + "'");
            }
        }
        for (ChangeEvent.SchemaChange s : keyedLater) {
            schemas.apply(connection, s, WHERE);
        }
        Bookkeeping.advance(connection, config.sourceId(), null, consistentPoint, xid, commitTime,
                epoch == null ? -1 : epoch.markerOffset(), 1, consistentPoint, new long[] {xid}, 1);
        if (epoch != null) {
            Bookkeeping.enterEpoch(connection, config.sourceId(), epoch, epoch.forkLsn());
        }
        connection.commit();
    }

    private Connection open() throws SQLException {
        java.util.Properties p = config.connection();
        p.setProperty("ApplicationName", "sluice-seed-" + config.followerName());
        Connection c = DriverManager.getConnection(config.jdbcUrl(), p);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            // As the applier: no user triggers or FK checks fire on the copied rows.
            st.execute("SET session_replication_role = replica");
            st.execute(SessionSettings.sql()); // the COPY text is read as capture's session printed it
        }
        c.commit();
        return c;
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing: nothing left to keep
            }
            connection = null;
        }
    }

    /** A table part being loaded. */
    public final class Part implements SnapshotTarget.Part {
        private final Connection c;
        private final TableId table;
        private final CopyIn copy;
        private boolean finished;

        private Part(Connection c, TableId table, CopyIn copy) {
            this.c = c;
            this.table = table;
            this.copy = copy;
        }

        /** COPY text, whole lines or not. */
        @Override
        public void write(byte[] text, int offset, int length) throws SQLException {
            try {
                copy.writeToCopy(text, offset, length);
            } catch (SQLException e) {
                throw refused(e);
            }
        }

        /** Ends the COPY and commits; returns the rows loaded. */
        @Override
        public long finish() throws SQLException {
            long rows;
            try {
                rows = copy.endCopy();
                c.commit();
            } catch (SQLException e) {
                throw refused(e);
            }
            finished = true;
            return rows;
        }

        private ApplierException refused(SQLException e) {
            return new ApplierException("follower " + name() + " refused the " + WHERE + " of table " + table + ": "
                    + e.getMessage(), false, e);
        }

        @Override
        public void close() {
            try {
                if (!finished && copy.isActive()) {
                    copy.cancelCopy();
                }
            } catch (SQLException ignored) {
                // the connection is closed next either way
            }
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing was committed
            }
        }
    }
}
