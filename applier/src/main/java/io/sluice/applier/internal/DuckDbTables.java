package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.applier.DuckDbType;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables of a DuckDB follower, kept in the primary's shape from schema events and DDL
 * messages: created with each column's {@link DuckDbType} and the PostgreSQL type as the column's
 * comment (so a restarted applier knows both from DuckDB's catalog), columns added, dropped and
 * retyped where DuckDB's cast keeps every value as PostgreSQL's did — refused, naming table, column
 * and types, where it would not. Tables carry no PRIMARY KEY: the applier keeps keys unique (an
 * insert of a key the follower has is refused as divergence), and DuckDB checks a key eagerly
 * inside a transaction that deletes and re-inserts it. Runs in the apply transaction. Not thread-safe.
 */
public final class DuckDbTables {

    private static final Logger log = LoggerFactory.getLogger(DuckDbTables.class);

    /** A follower column: its name, the PostgreSQL type it follows, and its DuckDB type. */
    record Col(String name, String pgType, DuckDbType type) { }

    /** PostgreSQL types whose values are the same text in one another: retyping among them rewrites nothing. */
    private static final Set<String> TEXT_FAMILY = Set.of("text", "character varying");

    private final String follower;
    private final Map<TableId, Map<String, Col>> known = new HashMap<>();

    public DuckDbTables(String follower) {
        this.follower = follower;
    }

    /** The table's columns, in order; empty when the follower has no such table. */
    Map<String, Col> columns(Connection c, TableId table) throws SQLException {
        Map<String, Col> cols = known.get(table);
        if (cols == null) {
            cols = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT column_name, data_type, comment FROM duckdb_columns()"
                    + " WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index")) {
                ps.setString(1, table.schema());
                ps.setString(2, table.table());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        DuckDbType type = DuckDbType.ofDuckDb(rs.getString(2));
                        String pgType = rs.getString(3);
                        if (type == null || pgType == null) {
                            throw new ApplierException("column " + rs.getString(1) + " of table " + table + " on DuckDB follower "
                                    + follower + " is of type " + rs.getString(2) + (pgType == null ? " without" : " with")
                                    + " a PostgreSQL type as its comment: not a table this applier made. Drop or rename it",
                                    false, null);
                        }
                        cols.put(rs.getString(1), new Col(rs.getString(1), pgType, type));
                    }
                }
            }
            if (!cols.isEmpty()) {
                known.put(table, cols);
            }
        }
        return cols;
    }

    /** Forgets what it read (after a rollback, the catalog is read again). */
    void reset() {
        known.clear();
    }

    /** Makes the follower's table take the event's shape. */
    public void apply(Connection c, ChangeEvent.SchemaChange e) throws SQLException {
        Map<String, Col> existing = columns(c, e.table());
        try (Statement st = c.createStatement()) {
            if (existing.isEmpty()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(e.table().schema()));
                List<String> defs = new ArrayList<>();
                for (Column col : e.columns()) {
                    defs.add(TableId.quote(col.name()) + " " + DuckDbType.of(col.type()).sql());
                }
                st.execute("CREATE TABLE " + e.table().quoted() + " (" + String.join(", ", defs) + ")");
                for (Column col : e.columns()) {
                    comment(st, e.table(), col.name(), col.type());
                }
                log.info("created DuckDB follower table {} ({} columns)", e.table(), e.columns().size());
            } else {
                Map<String, String> wanted = new LinkedHashMap<>();
                e.columns().forEach(col -> wanted.put(col.name(), col.type()));
                follow(st, e.table(), existing, wanted, Map.of(), false, false, e.header());
            }
        }
        known.remove(e.table());
    }

    /** Forgets the columns of a table the follower dropped. */
    void dropped(TableId table) {
        known.remove(table);
    }

    /**
     * Takes an ALTER TABLE as it happened on the primary: a renamed table renamed, columns dropped,
     * added (with the value the primary's existing rows have in them) and retyped — or stops where
     * the follower cannot do what the primary did: generated columns (their values are not on the
     * stream), renamed columns (their old names are not), a default computed per row, a conversion
     * {@code USING} an expression.
     */
    void apply(Connection c, DdlMessage ddl, EventHeader header, String at) throws SQLException {
        if (!ddl.generated().isEmpty()) {
            DdlMessage.Generated g = ddl.generated().get(0);
            throw new ApplierException("column " + g.name() + " (" + g.type() + ") of table " + ddl.table() + " is generated (" + at
                    + "): pgoutput does not send its values and DuckDB follower " + follower + " cannot compute PostgreSQL's"
                    + " expression, so it refuses the table; leave it out of the publication or drop the generation", false, null);
        }
        if (ddl.renamedFrom() != null && !columns(c, ddl.renamedFrom()).isEmpty()) {
            if (!ddl.renamedFrom().schema().equals(ddl.table().schema()) || !columns(c, ddl.table()).isEmpty()) {
                throw new ApplierException("the primary renamed table " + ddl.renamedFrom() + " to " + ddl.table() + " at source LSN "
                        + header.commitLsn() + " (" + at + "): DuckDB follower " + follower + " cannot follow a move to another"
                        + " schema or onto a table it already has. Move it there by hand and restart the applier", false, null);
            }
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE " + ddl.renamedFrom().quoted() + " RENAME TO " + TableId.quote(ddl.table().table()));
            }
            known.remove(ddl.renamedFrom());
            log.info("DuckDB follower table {} renamed to {} as on the primary", ddl.renamedFrom(), ddl.table());
        }
        Map<String, Col> existing = columns(c, ddl.table());
        if (existing.isEmpty() || ddl.columns().isEmpty()) {
            return; // a table the follower does not have yet is created by its first schema event
        }
        String unsafe = PartitionMoves.unsafe(ddl);
        if (unsafe != null) {
            throw new ApplierException("bad DDL message at " + at + ": " + unsafe + "; the follower stays at its last good watermark",
                    false, null);
        }
        PartitionMoves.deleteGone(c, ddl, header.commitLsn(), at, "DuckDB follower " + follower, true);
        if (ddl.fromTrigger() && renameColumns(c, ddl, existing, header)) {
            existing = columns(c, ddl.table());
        }
        Map<String, Col> had = existing;
        List<String> renamed = ddl.renamedColumns().stream().filter(n -> !had.containsKey(n)).toList();
        if (!renamed.isEmpty()) {
            throw new ApplierException("the primary renamed columns of table " + ddl.table() + " at source LSN " + header.commitLsn()
                    + " (" + at + "), now called " + renamed + ", and " + ColumnRenames.oldNames(ddl, renamed) + ": rename them on"
                    + " DuckDB follower " + follower + " the same way (ALTER TABLE ... RENAME COLUMN) and restart the applier",
                    false, null);
        }
        boolean perRow = ddl.columns().stream().anyMatch(col -> !had.containsKey(col.name()) && col.hasDefault() && col.missing() == null);
        // The rows as the primary left them follow, and the table was emptied before this message: nothing to compute or convert.
        boolean emptied = ddl.rowsFollow() && FollowerTable.isEmpty(c, ddl.table().quoted());
        if (ddl.volatileRewrite() && perRow && !emptied) {
            throw new ApplierException("the primary rewrote table " + ddl.table() + " at source LSN " + header.commitLsn() + " (" + at
                    + ") with a default computed per row (a volatile DEFAULT or an identity column in ADD COLUMN):"
                    + " the follower cannot reproduce those"
                    + " values. Re-create the table on the follower from a new snapshot, or make the default non-volatile", false, null);
        }
        Map<String, String> wanted = new LinkedHashMap<>();
        Map<String, String> missing = new HashMap<>();
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            wanted.put(col.name(), col.type());
            if (col.missing() != null) {
                missing.put(col.name(), col.missing());
            }
        }
        try (Statement st = c.createStatement()) {
            follow(st, ddl.table(), had, wanted, missing, ddl.usingExpression(), emptied, header);
        }
        known.remove(ddl.table());
    }

    /** The columns the primary renamed, renamed here the same way (values and all); whether it renamed any. */
    private boolean renameColumns(Connection c, DdlMessage ddl, Map<String, Col> existing, EventHeader header) throws SQLException {
        List<ColumnRenames.Step> steps = ColumnRenames.steps(ddl, existing.keySet());
        try (Statement st = c.createStatement()) {
            for (ColumnRenames.Step step : steps) {
                st.execute("ALTER TABLE " + ddl.table().quoted() + " RENAME COLUMN " + TableId.quote(step.from()) + " TO "
                        + TableId.quote(step.to()));
            }
        }
        if (!steps.isEmpty()) {
            known.remove(ddl.table());
            log.info("renamed columns of DuckDB follower table {} as on the primary: {} (source LSN {})", ddl.table(), steps,
                    header.commitLsn());
        }
        return !steps.isEmpty();
    }

    private void follow(Statement st, TableId table, Map<String, Col> existing, Map<String, String> wanted,
                        Map<String, String> missing, boolean using, boolean emptied, EventHeader header) throws SQLException {
        for (String name : existing.keySet()) {
            if (!wanted.containsKey(name)) {
                st.execute("ALTER TABLE " + table.quoted() + " DROP COLUMN " + TableId.quote(name));
                log.info("dropped column {}.{} on the DuckDB follower (source LSN {})", table, name, header.commitLsn());
            }
        }
        for (Map.Entry<String, String> w : wanted.entrySet()) {
            String name = w.getKey();
            String pgType = w.getValue();
            DuckDbType type = DuckDbType.of(pgType);
            Col have = existing.get(name);
            if (have == null) {
                st.execute("ALTER TABLE " + table.quoted() + " ADD COLUMN " + TableId.quote(name) + " " + type.sql());
                comment(st, table, name, pgType);
                String value = missing.get(name);
                if (value != null) {
                    st.execute("UPDATE " + table.quoted() + " SET " + TableId.quote(name) + " = " + literal(table, name, pgType, type, value, header));
                }
                log.info("added column {}.{} {} on the DuckDB follower (source LSN {})", table, name, type, header.commitLsn());
            } else if (!have.pgType().equals(pgType)) {
                boolean sameText = have.type().kind() == DuckDbType.Kind.VARCHAR && type.kind() == DuckDbType.Kind.VARCHAR
                        && TEXT_FAMILY.contains(have.pgType().replaceAll("\\(\\d+\\)", "")) && TEXT_FAMILY.contains(pgType.replaceAll("\\(\\d+\\)", ""));
                boolean exact = type.kind() != DuckDbType.Kind.VARCHAR && have.type().castsExactlyTo(type);
                if (!emptied && (using || !(sameText || exact))) {
                    throw new ApplierException("DuckDB follower " + follower + " cannot take the retype of column " + name + " of table "
                            + table + " from " + have.pgType() + " to " + pgType + " at source LSN " + header.commitLsn() + ": "
                            + (using ? "the primary converted its values USING an expression" : "DuckDB's cast from " + have.type()
                            + " to " + type + " would not give PostgreSQL's values") + ". Re-create the table on the follower from a"
                            + " new snapshot", false, null);
                }
                if (!have.type().equals(type)) {
                    st.execute("ALTER TABLE " + table.quoted() + " ALTER COLUMN " + TableId.quote(name) + " TYPE " + type.sql()
                            + (emptied ? " USING NULL" : ""));
                }
                comment(st, table, name, pgType);
                log.info("retyped column {}.{} {} -> {} on the DuckDB follower (source LSN {})", table, name, have.pgType(), pgType,
                        header.commitLsn());
            }
        }
    }

    /** A column's value as a DuckDB literal, from its PostgreSQL text; refused where DuckDB would read it differently. */
    private String literal(TableId table, String column, String pgType, DuckDbType type, String text, EventHeader header) {
        String quoted = "'" + text.replace("'", "''") + "'";
        return switch (type.kind()) {
            case VARCHAR -> quoted;
            case BLOB -> "from_hex(" + ("'" + text.substring(2).replace("'", "''") + "'") + ")";
            case BOOLEAN, SMALLINT, INTEGER, BIGINT, DECIMAL, UUID, REAL, DOUBLE -> "CAST(" + quoted + " AS " + type.sql() + ")";
            default -> {
                if (text.contains("BC") || text.contains("24:00")) {
                    throw new ApplierException("DuckDB follower " + follower + " cannot add column " + column + " (" + pgType + ") of table "
                            + table + " at source LSN " + header.commitLsn() + " with the value '" + text + "' its existing rows hold on"
                            + " the primary. Re-create the table on the follower from a new snapshot", false, null);
                }
                if (type.kind() == DuckDbType.Kind.INTERVAL) {
                    PostgresText.Interval iv = PostgresText.interval(text);
                    yield "(to_months(" + iv.months() + ") + to_days(" + iv.days() + ") + to_microseconds(" + iv.micros() + "))";
                }
                yield "CAST(" + quoted + " AS " + type.sql() + ")";
            }
        };
    }

    private static void comment(Statement st, TableId table, String column, String pgType) throws SQLException {
        st.execute("COMMENT ON COLUMN " + table.quoted() + "." + TableId.quote(column) + " IS '" + pgType.replace("'", "''") + "'");
    }
}
