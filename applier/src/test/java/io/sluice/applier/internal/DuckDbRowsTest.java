package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;

/** Bulk writes to a DuckDB follower, on the threads the applier writes from. */
class DuckDbRowsTest {

    private static final TableId T = new TableId("public", "t");

    private static ChangeEvent.Insert insert(long id) {
        return new ChangeEvent.Insert(new EventHeader("s", new Lsn(id), id, Instant.EPOCH, 0), T, List.of("id"),
                Map.of("id", new Value.Int(id), "v", new Value.Text("row " + id)));
    }

    @Test
    void groupsWrittenFromTheStreamThreadAndTheFollowerThreadInTurnAllLand() throws Exception {
        ExecutorService followerThread = Executors.newSingleThreadExecutor();
        try (DuckDBConnection c = DriverManager.getConnection("jdbc:duckdb:").unwrap(DuckDBConnection.class)) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA public");
                st.execute("CREATE TABLE public.t (id INTEGER PRIMARY KEY, v VARCHAR)");
                st.execute("COMMENT ON COLUMN public.t.id IS 'integer'");
                st.execute("COMMENT ON COLUMN public.t.v IS 'text'");
            }
            c.setAutoCommit(false);
            DuckDbRows rows = new DuckDbRows(new DuckDbTables("f0"));
            rows.use(c);
            List<String> columns = List.of("id", "v");
            for (long id = 1; id <= 6; id += 2) {
                long mine = id;
                rows.insertMany(T, columns, List.of(insert(mine)));
                CompletableFuture.runAsync(() -> {
                    try {
                        rows.insertMany(T, columns, List.of(insert(mine + 1)));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, followerThread).get(30, TimeUnit.SECONDS);
            }
            c.commit();
            List<String> landed = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, v FROM public.t ORDER BY id")) {
                while (rs.next()) {
                    landed.add(rs.getLong(1) + "=" + rs.getString(2));
                }
            }
            assertThat(landed).containsExactly("1=row 1", "2=row 2", "3=row 3", "4=row 4", "5=row 5", "6=row 6");
        } finally {
            followerThread.shutdownNow();
        }
    }
}
