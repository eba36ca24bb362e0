package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A DuckDB follower's tables taking the primary's column renames, on a real (in-memory) DuckDB. */
class DuckDbTablesTest {

    private static final TableId T = new TableId("public", "t");
    private static final EventHeader H = new EventHeader("s", new Lsn(100), 7, Instant.EPOCH, 0);

    private static DdlMessage renames(List<DdlMessage.DdlColumn> columns) {
        return new DdlMessage(T, columns, List.of(), List.of(), false, false,
                columns.stream().filter(c -> c.renamedFrom() != null || c.name().startsWith("z")).map(DdlMessage.DdlColumn::name).toList(),
                null, false, true);
    }

    private static String rows(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM public.t ORDER BY id")) {
            StringBuilder sb = new StringBuilder();
            int n = rs.getMetaData().getColumnCount();
            for (int i = 1; i <= n; i++) {
                sb.append(rs.getMetaData().getColumnName(i)).append(i < n ? "," : ":");
            }
            while (rs.next()) {
                for (int i = 1; i <= n; i++) {
                    sb.append(' ').append(rs.getString(i));
                }
            }
            return sb.toString();
        }
    }

    @Test
    void columnsRenamedOnThePrimaryKeepTheirValuesAndNamesThatTradePlacesDoNotCollide() throws Exception {
        DuckDbTables tables = new DuckDbTables("olap");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA public");
            tables.apply(c, new ChangeEvent.SchemaChange(H, T, List.of(new Column("id", "integer", false, true),
                    new Column("a", "integer", true, false), new Column("b", "text", true, false)), ChangeEvent.ReplicaIdentity.DEFAULT));
            st.execute("INSERT INTO public.t VALUES (1, 10, 'x')");
            tables.apply(c, renames(List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                    new DdlMessage.DdlColumn("b", "integer", true, null, false, "a"),
                    new DdlMessage.DdlColumn("a", "text", true, null, false, "b"))), H, "stream@1");
            assertThat(rows(c)).isEqualTo("id,b,a: 1 10 x");
            tables.apply(c, renames(List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                    new DdlMessage.DdlColumn("b2", "integer", true, null, false, "b"),
                    new DdlMessage.DdlColumn("a", "text", true, null, false))), H, "stream@2");
            assertThat(rows(c)).isEqualTo("id,b2,a: 1 10 x");
            // Without the old name the values would be lost: refused, naming the new name.
            assertThatThrownBy(() -> tables.apply(c, renames(List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                    new DdlMessage.DdlColumn("z", "integer", true, null, false),
                    new DdlMessage.DdlColumn("a", "text", true, null, false))), H, "stream@3"))
                    .isInstanceOf(ApplierException.class).hasMessageContaining("renamed columns of table public.t")
                    .hasMessageContaining("[z]").hasMessageContaining("does not say their old names");
            assertThat(rows(c)).isEqualTo("id,b2,a: 1 10 x");
        }
    }

    @Test
    void aPartitionGoneOnThePrimaryTakesItsRowsOffAndACraftedOneIsRefused() throws Exception {
        DuckDbTables tables = new DuckDbTables("olap");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA public");
            tables.apply(c, new ChangeEvent.SchemaChange(H, T, List.of(new Column("id", "integer", false, true),
                    new Column("day", "date", true, false)), ChangeEvent.ReplicaIdentity.DEFAULT));
            st.execute("INSERT INTO public.t VALUES (1, '2024-03-01'), (2, '2025-03-01'), (3, NULL)");
            List<DdlMessage.DdlColumn> columns = List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                    new DdlMessage.DdlColumn("day", "date", true, null, false));
            tables.apply(c, new DdlMessage(T, columns, List.of(), List.of(), false, false, List.of(), null, false, true,
                    List.of(new DdlMessage.GonePartition(new TableId("public", "t_2024"),
                            "((day IS NOT NULL) AND (day >= '2024-01-01'::date) AND (day < '2025-01-01'::date))"))),
                    H, "stream@1");
            assertThat(rows(c)).isEqualTo("id,day: 2 2025-03-01 3 null");
            assertThatThrownBy(() -> tables.apply(c, new DdlMessage(T, columns, List.of(), List.of(), false, false, List.of(), null,
                    false, true, List.of(new DdlMessage.GonePartition(new TableId("public", "t_x"), "true); DROP TABLE public.t; ("))),
                    H, "stream@3"))
                    .isInstanceOf(ApplierException.class).hasMessageContaining("bad DDL message at stream@3");
            assertThat(rows(c)).isEqualTo("id,day: 2 2025-03-01 3 null");
        }
    }
}
