package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How an update or a delete finds its row on a PostgreSQL follower: by its key columns, or — a
 * table without a key, {@code REPLICA IDENTITY FULL} on the primary — by its whole old image, one
 * row of those that match it.
 */
record RowMatch(List<String> columns, Map<String, Value> values, boolean byKey, Map<String, String> types,
                Map<String, ColumnEquality> equalities) {

    /**
     * The match for {@code e}'s row, by {@code key} when it has one, else by {@code identity}.
     *
     * @throws ApplierException when the event carries neither a key nor an old row
     */
    static RowMatch of(ChangeEvent e, List<String> key, Map<String, Value> identity, SchemaSync schemas,
                       Connection connection) throws SQLException {
        TableId table = e instanceof ChangeEvent.Update u ? u.table() : ((ChangeEvent.Delete) e).table();
        Map<String, String> types = Objects.requireNonNullElse(schemas.castTypes(connection, table), Map.of());
        Map<String, ColumnEquality> equalities = schemas.equalities(connection, table);
        if (!key.isEmpty()) {
            return new RowMatch(key, identity, true, types, equalities);
        }
        if (identity.isEmpty() || (e instanceof ChangeEvent.Update u && u.before().isEmpty())) {
            throw new ApplierException(e.kind() + " on " + table + " at source LSN " + e.header().commitLsn()
                    + " carries no key and no old row: give the table a primary key or set REPLICA IDENTITY FULL"
                    + " on the primary", false, null);
        }
        List<String> cols = identity.entrySet().stream().filter(en -> !(en.getValue() instanceof Value.Unchanged))
                .map(Map.Entry::getKey).toList();
        return new RowMatch(cols, identity, false, types, equalities);
    }

    /** The WHERE condition on {@code rowsOf} ({@link SchemaSync#rowsOf}), its parameters in {@link #columns}' order. */
    String sql(String rowsOf) {
        // Each value cast to its column's type, as the many-row statements do (UnnestStatements): a composite type's
        // equality is record's, which would take an uncast parameter as an anonymous record and refuse it.
        String operator = byKey ? "=" : "IS NOT DISTINCT FROM";
        String match = columns.stream().map(c -> ColumnEquality.condition(equalities.get(c), TableId.quote(c), operator, "?",
                types.get(c))).collect(Collectors.joining(" AND "));
        if (byKey) {
            return match;
        }
        return "ctid = (SELECT ctid FROM " + rowsOf + " WHERE " + match + " LIMIT 1)";
    }

    /** Binds the condition's values from parameter {@code from} on. */
    void bind(PreparedStatement ps, int from, ChangeEvent e) throws SQLException {
        int i = from;
        for (String c : columns) {
            RowText.bind(ps, i++, values.get(c), e, c);
        }
    }
}
