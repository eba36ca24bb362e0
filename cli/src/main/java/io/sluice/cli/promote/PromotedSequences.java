package io.sluice.cli.promote;

import io.sluice.format.SequenceState;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Gives a promoted follower the old primary's sequences, each set past every value the old primary
 * handed out: past the last value capture reported and the highest (lowest, for a descending one)
 * value of the column that owns it, by a gap for values handed out since the last report in
 * transactions that never reached the stream. A serial column gets its {@code nextval} default back,
 * an identity column its identity. Every name is quoted and every number came from the stream as a
 * 64-bit integer: nothing of the stream is spliced into SQL as text.
 */
final class PromotedSequences {

    private final Connection c;
    private final long gap;

    PromotedSequences(Connection c, long gap) {
        this.c = c;
        this.gap = gap;
    }

    /** Creates and sets every sequence of {@code state}; returns how many were set. */
    int apply(SequenceState state) throws SQLException {
        int set = 0;
        for (SequenceState.Sequence s : state.sequences()) {
            String name = TableId.quote(s.schema()) + "." + TableId.quote(s.name());
            boolean owned = s.ownedBy() != null && columnExists(s.ownedBy(), s.column());
            if (!exists(s.schema(), s.name())) {
                if (owned && s.identity() != null) {
                    execute("ALTER TABLE " + table(s.ownedBy()) + " ALTER COLUMN " + TableId.quote(s.column()) + " ADD GENERATED "
                            + (s.identity().equals("a") ? "ALWAYS" : "BY DEFAULT") + " AS IDENTITY (SEQUENCE NAME " + name
                            + options(s) + ")");
                } else {
                    execute("CREATE SEQUENCE " + name + " AS " + s.type() + options(s));
                }
            }
            if (owned && s.identity() == null) {
                execute("ALTER SEQUENCE " + name + " OWNED BY " + table(s.ownedBy()) + "." + TableId.quote(s.column()));
                if (!hasDefault(s.ownedBy(), s.column())) {
                    execute("ALTER TABLE " + table(s.ownedBy()) + " ALTER COLUMN " + TableId.quote(s.column())
                            + " SET DEFAULT nextval('" + name.replace("'", "''") + "'::regclass)");
                }
            }
            Long reached = reached(s, owned);
            if (reached != null) {
                try (PreparedStatement ps = c.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
                    ps.setString(1, name);
                    ps.setLong(2, past(s, reached));
                    ps.execute();
                }
                set++;
            }
        }
        return set;
    }

    /** The furthest value handed out that is known: reported, or in the owning column. */
    private Long reached(SequenceState.Sequence s, boolean owned) throws SQLException {
        Long reached = s.lastValue();
        if (owned) {
            String agg = s.increment() > 0 ? "max" : "min";
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + agg + "("
                    + TableId.quote(s.column()) + ")::bigint FROM " + table(s.ownedBy()))) {
                rs.next();
                long v = rs.getLong(1);
                if (!rs.wasNull()) {
                    reached = reached == null ? v : s.increment() > 0 ? Math.max(reached, v) : Math.min(reached, v);
                }
            }
        }
        return reached;
    }

    /** {@code reached} moved on by the gap, within the sequence's bounds. */
    private long past(SequenceState.Sequence s, long reached) {
        long next;
        try {
            next = Math.addExact(reached, Math.multiplyExact(gap, s.increment()));
        } catch (ArithmeticException overflow) {
            return s.increment() > 0 ? s.max() : s.min();
        }
        return Math.max(s.min(), Math.min(s.max(), next));
    }

    private static String options(SequenceState.Sequence s) {
        return " INCREMENT BY " + s.increment() + " MINVALUE " + s.min() + " MAXVALUE " + s.max() + " START WITH " + s.start()
                + " CACHE " + s.cache() + (s.cycle() ? " CYCLE" : " NO CYCLE");
    }

    private static String table(TableId t) {
        return TableId.quote(t.schema()) + "." + TableId.quote(t.table());
    }

    private boolean exists(String schema, String name) throws SQLException {
        return bool("SELECT EXISTS (SELECT 1 FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace"
                + " WHERE n.nspname = ? AND k.relname = ? AND k.relkind = 'S')", schema, name, null);
    }

    private boolean columnExists(TableId t, String column) throws SQLException {
        return bool("SELECT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid JOIN pg_namespace n"
                + " ON n.oid = k.relnamespace WHERE n.nspname = ? AND k.relname = ? AND a.attname = ? AND NOT a.attisdropped)",
                t.schema(), t.table(), column);
    }

    private boolean hasDefault(TableId t, String column) throws SQLException {
        return bool("SELECT a.atthasdef OR a.attidentity <> '' FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = k.relnamespace WHERE n.nspname = ? AND k.relname = ? AND a.attname = ?",
                t.schema(), t.table(), column);
    }

    private boolean bool(String sql, String a, String b, String d) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            ps.setString(2, b);
            if (d != null) {
                ps.setString(3, d);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private void execute(String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
