package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.SqlText;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A row change as the text a PostgreSQL follower is written with, and as an error names it: the
 * one place the applier's three write paths ({@link RowWriter}, {@link CopyLoader},
 * {@link UnnestStatements}) turn values into SQL text.
 */
final class RowText {

    private RowText() {
    }

    /** The value's SQL text, null for NULL; an unchanged TOAST marker here is an error naming the column. */
    static String of(Value v, ChangeEvent e, String column) {
        if (v instanceof Value.Unchanged) {
            throw new ApplierException("an unchanged TOAST marker for column " + column + " in a " + e.kind()
                    + " at source LSN " + e.header().commitLsn() + " has no value to write", false, null);
        }
        return SqlText.of(v);
    }

    /** Binds the value's SQL text ({@link #of}) as parameter {@code index}. */
    static void bind(PreparedStatement ps, int index, Value v, ChangeEvent e, String column) throws SQLException {
        String text = of(v, e, column);
        if (text == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, text);
        }
    }

    /** A row for an error message: kind, table, key (or identity) values, source LSN and xid. */
    static String describe(ChangeEvent e, Map<String, Value> identity) {
        TableId table = e instanceof ChangeEvent.Insert i ? i.table() : e instanceof ChangeEvent.Update u ? u.table()
                : ((ChangeEvent.Delete) e).table();
        List<String> key = e instanceof ChangeEvent.Insert i ? i.key() : e instanceof ChangeEvent.Update u ? u.key()
                : ((ChangeEvent.Delete) e).key();
        String keyText = (key.isEmpty() ? identity.keySet() : key).stream()
                .map(k -> k + "=" + SqlText.of(identity.get(k))).collect(Collectors.joining(", "));
        return e.kind() + " on " + table + " key (" + keyText + ") at source LSN " + e.header().commitLsn()
                + " xid " + e.header().xid();
    }

    /** Column names quoted and joined by {@code sep}. */
    static String columns(List<String> cols, String sep) {
        return cols.stream().map(TableId::quote).collect(Collectors.joining(sep));
    }
}
