package io.sluice.client;

import io.sluice.format.Lsn;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * One routed read: a read-only repeatable-read transaction whose first statement reads the
 * position its snapshot shows — a follower's watermark (committed with the rows) or the primary's
 * WAL position — so the answer says how far along it is.
 */
final class ReadTransaction {

    private ReadTransaction() {
    }

    static <T> SluiceClient.Routed<T> run(String source, String target, DataSource ds, boolean isPrimary, Session session,
                                          SluiceClient.SqlFunction<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try {
                Lsn position = position(c, source, isPrimary);
                T value = work.apply(c);
                c.commit();
                if (session != null) {
                    session.observed(position);
                }
                return new SluiceClient.Routed<>(target, value, position);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static Lsn position(Connection c, String source, boolean isPrimary) throws SQLException {
        if (!isPrimary) {
            return Watermark.read(c, source).map(Watermark::commitLsn).orElse(Lsn.ZERO);
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }
}
