package io.sluice.monitor.internal;

import io.sluice.format.PrimaryUrl;
import io.sluice.monitor.MonitorConfig;
import io.sluice.monitor.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether capture could follow a failover (PostgreSQL 17, docs/capture.md "Failover"): on the
 * primary, whether capture's slot is a failover slot and the physical standby slots with whether
 * {@code synchronized_standby_slots} lists them (a listed one that is inactive holds logical
 * decoding back); on every other host of the primary's URL, whether it is a standby holding a
 * synchronised copy of the slot and how far that copy is confirmed.
 */
public final class FailoverProbe implements AutoCloseable {

    private static final String PRIMARY_QUERY = """
            WITH listed AS (SELECT trim(s) AS name
                              FROM unnest(string_to_array(current_setting('synchronized_standby_slots'), ',')) s
                             WHERE trim(s) <> '')
            SELECT coalesce(p.slot_name, l.name), l.name IS NOT NULL, p.slot_name IS NOT NULL, coalesce(p.active, false),
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), p.restart_lsn), 0)::bigint
              FROM (SELECT slot_name, active, restart_lsn FROM pg_replication_slots WHERE slot_type = 'physical') p
              FULL JOIN listed l ON l.name = p.slot_name
             ORDER BY 1""";
    private static final String STANDBY_QUERY = """
            SELECT pg_is_in_recovery(), s.synced AND NOT s.temporary, s.confirmed_flush_lsn::text
            FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?""";

    private final MonitorConfig.Endpoint primary;
    private final String slot;
    private final Duration timeout;
    private final Map<String, Connection> connections = new HashMap<>();
    /** A host that could not be reached is asked again only after this many samples: a dead host may take a connect timeout. */
    private static final int SKIP_AFTER_FAILURE = 10;
    private final Map<String, Status.Standby> failed = new HashMap<>();
    private final Map<String, Integer> skips = new HashMap<>();

    public FailoverProbe(MonitorConfig.Endpoint primary, String slot, Duration timeout) {
        this.primary = primary;
        this.slot = slot;
        this.timeout = timeout;
    }

    /** One look at the primary and each other host; null before PostgreSQL 17 (no failover slots). */
    public Status.Failover sample(Connection primaryConnection) throws SQLException {
        if (primaryConnection.getMetaData().getDatabaseMajorVersion() < 17) {
            return null;
        }
        List<Status.StandbySlot> slots = new ArrayList<>();
        try (PreparedStatement ps = primaryConnection.prepareStatement(PRIMARY_QUERY); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                slots.add(new Status.StandbySlot(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4),
                        rs.getLong(5)));
            }
        }
        List<Status.Standby> standbys = new ArrayList<>();
        List<String> hosts = PrimaryUrl.hosts(primary.jdbcUrl());
        if (hosts.size() > 1) {
            for (String host : hosts) {
                Status.Standby s = standby(host);
                if (!s.reachable() || s.inRecovery()) {
                    standbys.add(s); // the host that answers as the primary is not a standby
                }
            }
        }
        return new Status.Failover(failover(primaryConnection), slots, standbys);
    }

    private Boolean failover(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT failover FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBoolean(1) : null;
            }
        }
    }

    private Status.Standby standby(String host) {
        int skip = skips.getOrDefault(host, 0);
        if (skip > 0) {
            skips.put(host, skip - 1);
            return failed.get(host);
        }
        try {
            Connection c = connections.get(host);
            if (c == null) {
                MonitorConfig.Endpoint one = new MonitorConfig.Endpoint(PrimaryUrl.withOnlyHost(primary.jdbcUrl(), host),
                        primary.properties());
                c = PrimaryProbe.connect(one, timeout, "sluice-monitor-failover");
                connections.put(host, c);
            }
            try (PreparedStatement ps = c.prepareStatement(STANDBY_QUERY)) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Status.Standby(host, true, rs.getBoolean(1), rs.getBoolean(2), PrimaryProbe.lsn(rs.getString(3)), null);
                }
            }
        } catch (SQLException e) {
            PrimaryProbe.closeQuietly(connections.remove(host));
            Status.Standby down = new Status.Standby(host, false, false, false, null, e.getMessage());
            failed.put(host, down);
            skips.put(host, SKIP_AFTER_FAILURE);
            return down;
        }
    }

    @Override
    public void close() {
        connections.values().forEach(PrimaryProbe::closeQuietly);
        connections.clear();
    }
}
