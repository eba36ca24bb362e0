package io.sluice.applier;

import io.sluice.applier.internal.DuckDbRows;
import io.sluice.applier.internal.DuckDbTables;
import io.sluice.applier.internal.SchemaSync;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.duckdb.DuckDBConnection;

/**
 * Loads tables of a PostgreSQL database into a DuckDB follower file as they are now — the shape
 * from the catalog, the rows (as their output text) through the same tables, staging and appender
 * as the stream's — for a follower that begins from a copy rather than from the stream's snapshot:
 * the benchmark's followers, seeded as the primary was before its backlog. No watermark is written.
 */
public final class DuckDbSeed {

    private static final int BATCH = 10_000;

    private DuckDbSeed() {
    }

    public static void load(Connection pg, String duckDbUrl, String source, List<TableId> tables) throws SQLException {
        EventHeader header = new EventHeader(source, Lsn.ZERO, 1, Instant.EPOCH, 0);
        DuckDbTables shapes = new DuckDbTables("seed");
        DuckDbRows rows = new DuckDbRows(shapes);
        try (Connection duck = DriverManager.getConnection(duckDbUrl, new Properties())) {
            duck.setAutoCommit(false);
            rows.use(duck.unwrap(DuckDBConnection.class));
            for (TableId table : tables) {
                List<Column> columns = columns(pg, table);
                shapes.apply(duck, new ChangeEvent.SchemaChange(header, table, columns, ChangeEvent.ReplicaIdentity.DEFAULT));
                List<String> names = columns.stream().map(Column::name).toList();
                List<String> key = columns.stream().filter(Column::key).map(Column::name).toList();
                List<ChangeEvent.Insert> batch = new ArrayList<>();
                try (Statement st = pg.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + SchemaSync.rowsOfNow(pg, table))) {
                    while (rs.next()) {
                        Map<String, Value> after = new LinkedHashMap<>();
                        for (int i = 0; i < names.size(); i++) {
                            String v = rs.getString(i + 1);
                            after.put(names.get(i), v == null ? Value.Null.INSTANCE : new Value.Text(v));
                        }
                        batch.add(new ChangeEvent.Insert(header, table, key, after));
                        if (batch.size() == BATCH) {
                            rows.insertMany(table, names, batch);
                            batch.clear();
                        }
                    }
                }
                if (!batch.isEmpty()) {
                    rows.insertMany(table, names, batch);
                }
            }
            rows.reset();
            duck.commit();
        }
    }

    private static List<Column> columns(Connection pg, TableId table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = pg.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
                       coalesce(a.attnum = ANY (i.indkey), false)
                  FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
                 WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4)));
                }
            }
        }
        return columns;
    }
}
