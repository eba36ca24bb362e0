package io.sluice.applier.internal;

import io.sluice.format.ChangeEvent;
import io.sluice.format.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Truncates on a PostgreSQL follower the tables the primary emptied. Never {@code CASCADE}, whatever
 * the primary's command said: the stream lists every table the primary emptied, and a cascade here
 * would also empty tables of the follower's own that reference one. Like native logical
 * replication, the applier stops on such a table instead, naming it.
 */
final class Truncations {

    /** What PostgreSQL answers a TRUNCATE of a table another one references ({@code feature_not_supported}). */
    private static final String REFERENCED = "0A000";

    private final Connection connection;
    private final SchemaSync schemas;

    Truncations(Connection connection, SchemaSync schemas) {
        this.connection = connection;
        this.schemas = schemas;
    }

    /**
     * Truncates the tables of {@code e} the follower has. A table it does not have yet (no row of it
     * has come down the stream: {@code pgbench -i} truncates its tables before filling them) holds no
     * rows on the follower, so truncating it changes nothing; it is created with its first rows.
     */
    void apply(ChangeEvent.Truncate e) throws SQLException {
        List<TableId> present = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        for (TableId t : e.tables()) {
            if (FollowerTable.exists(connection, t)) {
                present.add(t);
                targets.add(schemas.rowsOf(connection, t)); // the primary names each table it emptied, those inheriting from one too
            }
        }
        if (present.isEmpty()) {
            return;
        }
        try (Statement st = connection.createStatement()) {
            st.execute("TRUNCATE " + String.join(", ", targets) + (e.restartIdentity() ? " RESTART IDENTITY" : ""));
        } catch (SQLException refused) {
            if (!REFERENCED.equals(refused.getSQLState())) {
                throw refused;
            }
            throw new SQLException("the primary emptied " + present.stream().map(TableId::toString).collect(Collectors.joining(", "))
                    + "; on the follower "
                    + refused.getMessage().strip() + "\nThe applier does not cascade a TRUNCATE onto tables of the"
                    + " follower's own: empty them or drop their references to these tables, then start the applier"
                    + " again", refused.getSQLState(), refused);
        }
    }
}
