package io.sluice.cli.demo;

import io.sluice.client.Durability;
import io.sluice.client.ReadPolicy;
import io.sluice.client.Session;
import io.sluice.client.SluiceClient;
import io.sluice.embedded.LocalPostgres;
import io.sluice.format.ConsistencyToken;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The demo's two consistency moments, through the client: a write read back from an asynchronous
 * follower with its read-your-writes token, and a write committed with QUORUM(1) that returns only
 * once the synchronous follower shows it. Each reports on the view what it saw and how long it took.
 */
final class DemoConsistency {

    private DemoConsistency() {
    }

    /** Read-your-writes: a write on the primary read back from the async follower through its token. */
    static void readYourWrites(LocalPostgres primary, SluiceClient client, DemoFollower follower, DemoView view) {
        try (Connection c = primary.connect()) {
            c.setAutoCommit(false);
            Session session = client.session();
            try (Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE profiles SET attrs = attrs || '{\"demo\": \"read-your-writes\"}', updated = now() WHERE id = 1");
            }
            long t0 = System.nanoTime();
            ConsistencyToken token = client.commit(c, session);
            boolean applied = client.await(token, follower.name, Duration.ofSeconds(5)); // woken by the follower's commit
            double waitedMs = (System.nanoTime() - t0) / 1e6;
            SluiceClient.Routed<String> r = client.readRouted(session, follower.name, ReadPolicy.waitOrFail(Duration.ofSeconds(5)),
                    rc -> {
                        try (Statement st = rc.createStatement();
                             ResultSet rs = st.executeQuery("SELECT attrs->>'demo' FROM profiles WHERE id = 1")) {
                            return rs.next() ? rs.getString(1) : null;
                        }
                    });
            view.event(String.format("read-your-writes: updated profile 1 on the primary (token %s); %s applied it %.1f ms"
                    + " after commit%s; read back from follower %s: demo=%s", token, follower.name, waitedMs,
                    applied ? "" : " (NOT within 5 s)", r.target(), r.value()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException e) {
            view.event("read-your-writes FAILED: " + e.getMessage());
        }
    }

    /** A synchronous write: returns only once the sync follower shows it. */
    static void syncWrite(LocalPostgres primary, SluiceClient client, DemoFollower follower, DemoView view) {
        try (Connection c = primary.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE profiles SET attrs = attrs || '{\"demo\": \"sync\"}', updated = now() WHERE id = 2");
            }
            long t0 = System.nanoTime();
            ConsistencyToken token = client.commit(c, Durability.quorum(1), Duration.ofSeconds(5));
            view.event(String.format("sync write: profile 2 committed with QUORUM(1) and visible on sync follower %s %.1f ms later"
                    + " (token %s)", follower.name, (System.nanoTime() - t0) / 1e6, token));
        } catch (SQLException e) {
            view.event("sync write FAILED: " + e.getMessage());
        }
    }
}
