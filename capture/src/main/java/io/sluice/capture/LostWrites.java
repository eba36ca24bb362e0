package io.sluice.capture;

import io.sluice.capture.CaptureException.Kind;
import io.sluice.capture.internal.PrimaryLineage;
import io.sluice.capture.internal.pgoutput.PgOutputDecoder;
import io.sluice.capture.internal.pgoutput.PgOutputMessage;
import io.sluice.capture.internal.pgoutput.ReplicationConnection;
import io.sluice.format.EpochMarker;
import io.sluice.format.Lsn;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The writes a failed-over primary committed that its successor never had — what {@code sluice
 * rejoin} lists when the old primary is started again. Its successor began the new history at a
 * switch point: a promoted standby where its replay of the old timeline ended; a promoted follower
 * at the last transaction of the old primary before the promotion's marker on the stream (the
 * epoch's fork LSN). Every transaction the old primary committed after that point is lost to the
 * new history. They are read from the old
 * primary's capture slot, which still holds the WAL after the position capture had confirmed,
 * through a temporary copy of the slot (peeking a failover slot would wait for standbys that are
 * gone), without consuming anything.
 */
public final class LostWrites {

    /** One change of a lost transaction: {@code kind} insert, update, delete or truncate; {@code key} like {@code id=5}. */
    public record Change(String table, String kind, String key) {
        @Override
        public String toString() {
            return table + " " + kind + (key.isEmpty() ? "" : " " + key);
        }
    }

    /** A transaction the old primary committed after the switch point. */
    public record Transaction(long xid, Instant commitTime, Lsn commitLsn, List<Change> changes) {
        public Transaction {
            changes = List.copyOf(changes);
        }
    }

    private LostWrites() {
    }

    /**
     * Where the old primary's timeline ended in the history of the new primary, the host of
     * {@code newPrimaryUrl} (one or several) that is a primary on the newest timeline.
     *
     * @throws CaptureException CONFIGURATION when the two are not one cluster, or the new primary's
     *                          history does not continue the old primary's timeline
     */
    public static Lsn switchPoint(String newPrimaryHosts, Properties newConnection, String oldPrimaryUrl, Properties oldConnection,
                                  String source) {
        PrimaryLineage before = lineage(oldPrimaryUrl, oldConnection);
        String newPrimaryUrl = PrimaryLineage.newestPrimary(newPrimaryHosts, newConnection);
        Properties toNew = newConnection;
        PrimaryLineage after = lineage(newPrimaryUrl, toNew);
        if (!before.systemId().equals(after.systemId()) || after.timeline() <= before.timeline()) {
            throw new CaptureException(Kind.CONFIGURATION, "the old primary " + oldPrimaryUrl + " (system " + before.systemId()
                    + ", timeline " + before.timeline() + ") is not an earlier timeline of the primary at " + newPrimaryUrl
                    + " (system " + after.systemId() + ", timeline " + after.timeline() + ")");
        }
        String history = ReplicationConnection.once(newPrimaryUrl, toNew, source, "reading the timeline history at "
                + newPrimaryUrl, c -> c.timelineHistory(after.timeline()));
        return PrimaryLineage.switchPoint(history, before.timeline()).orElseThrow(() -> new CaptureException(
                Kind.CONFIGURATION, "the history of timeline " + after.timeline() + " at " + newPrimaryUrl
                + " does not pass through timeline " + before.timeline() + " of the old primary " + oldPrimaryUrl));
    }

    /** The system identifier of the cluster at {@code url}. */
    public static String systemId(String url, Properties connection) {
        return lineage(url, connection).systemId();
    }

    private static PrimaryLineage lineage(String url, Properties connection) {
        try (Connection c = DriverManager.getConnection(url, connection)) {
            return PrimaryLineage.read(c);
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading the system identifier and timeline of " + url + ": " + e.getMessage(), e);
        }
    }

    /**
     * The transactions the old primary committed after {@code switchPoint} on the tables of
     * {@code publication}, in commit order, from its capture slot {@code slot}.
     */
    public static List<Transaction> after(String oldPrimaryUrl, Properties connection, String slot, String publication,
                                          Lsn switchPoint) {
        String copy = "sluice_rejoin_" + ProcessHandle.current().pid();
        try (Connection c = DriverManager.getConnection(oldPrimaryUrl, connection)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_copy_logical_replication_slot(?, ?, true)")) {
                ps.setString(1, slot);
                ps.setString(2, copy);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT data FROM pg_logical_slot_peek_binary_changes(?, NULL, NULL,"
                    + " 'proto_version', '1', 'publication_names', ?)")) {
                ps.setString(1, copy);
                ps.setString(2, ReplicationConnection.publicationNames(publication));
                try (ResultSet rs = ps.executeQuery()) {
                    Reader reader = new Reader(switchPoint);
                    while (rs.next()) {
                        reader.read(ByteBuffer.wrap(rs.getBytes(1)));
                    }
                    return reader.lost;
                }
            }
        } catch (SQLException e) {
            throw new CaptureException(Kind.FATAL, "reading slot " + slot + " on the old primary " + oldPrimaryUrl + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The lost writes of a primary a promoted follower replaced ({@code promotion}, completed): what
     * its slot holds after the epoch's fork point, and what a capture of it still wrote onto the
     * stream after the marker (refused by every applier; its slot no longer has those), in commit order.
     */
    public static List<Transaction> ofReplacedPrimary(EpochMarker promotion, String oldPrimaryUrl, Properties connection,
                                                      String slot, String publication, Map<String, Object> kafka,
                                                      String source) {
        List<Transaction> all = new ArrayList<>(RefusedFrames.after(promotion, source, kafka, Duration.ofSeconds(60)));
        java.util.Set<Lsn> streamed = new java.util.HashSet<>();
        all.forEach(t -> streamed.add(t.commitLsn()));
        for (Transaction t : after(oldPrimaryUrl, connection, slot, publication, promotion.forkLsn())) {
            if (!streamed.contains(t.commitLsn())) {
                all.add(t);
            }
        }
        all.sort(java.util.Comparator.comparing(Transaction::commitLsn));
        return all;
    }

    /** Gathers each decoded transaction's changes and keeps those committed after the switch point. */
    private static final class Reader {
        private final Lsn switchPoint;
        private final PgOutputDecoder decoder = new PgOutputDecoder();
        private final Map<Integer, PgOutputMessage.Relation> relations = new HashMap<>();
        private final List<Transaction> lost = new ArrayList<>();
        private PgOutputMessage.Begin begin;
        private List<Change> changes = new ArrayList<>();

        Reader(Lsn switchPoint) {
            this.switchPoint = switchPoint;
        }

        void read(ByteBuffer data) {
            PgOutputMessage m = decoder.decode(data);
            if (m instanceof PgOutputMessage.Relation r) {
                relations.put(r.oid(), r);
            } else if (m instanceof PgOutputMessage.Begin b) {
                begin = b;
                changes = new ArrayList<>();
            } else if (m instanceof PgOutputMessage.Insert i) {
                changes.add(change(i.relationOid(), "insert", i.row()));
            } else if (m instanceof PgOutputMessage.Update u) {
                changes.add(change(u.relationOid(), "update", u.oldKey() != null ? u.oldKey() : u.oldRow() != null ? u.oldRow() : u.row()));
            } else if (m instanceof PgOutputMessage.Delete d) {
                changes.add(change(d.relationOid(), "delete", d.oldKey() != null ? d.oldKey() : d.oldRow()));
            } else if (m instanceof PgOutputMessage.Truncate t) {
                t.relationOids().forEach(oid -> changes.add(new Change(table(oid), "truncate", "")));
            } else if (m instanceof PgOutputMessage.Commit c && begin != null) {
                if (c.endLsn().compareTo(switchPoint) > 0 && !changes.isEmpty()) {
                    lost.add(new Transaction(begin.xid(), c.commitTime(), c.commitLsn(), changes));
                }
                begin = null;
            }
        }

        private String table(int oid) {
            PgOutputMessage.Relation r = relations.get(oid);
            return r == null ? "relation " + oid : r.namespace() + "." + r.name();
        }

        /** The row's key as {@code a=1, b=x}: the replica identity's columns, as the primary printed them. */
        private Change change(int oid, String kind, PgOutputMessage.Tuple row) {
            PgOutputMessage.Relation r = relations.get(oid);
            StringBuilder key = new StringBuilder();
            if (r != null && row != null) {
                for (int i = 0; i < r.columns().size() && i < row.size(); i++) {
                    if (r.columns().get(i).key()) {
                        key.append(key.length() == 0 ? "" : ", ").append(r.columns().get(i).name()).append('=').append(row.text(i));
                    }
                }
            }
            return new Change(table(oid), kind, key.toString());
        }
    }
}
