package io.sluice.applier.internal;

import java.io.IOException;
import java.sql.SQLException;

/**
 * What the applier does when a PostgreSQL follower refuses or drops a statement, by SQLSTATE.
 */
public enum FailureKind {
    /** Connection lost, serialization failure, deadlock, out of resources, server shutting down: retry from the watermark. */
    RETRY,
    /**
     * A unique or exclusion violation: when the rows were collapsed (which reorders rows within a
     * group), the group is applied again in source order; otherwise it is the data's and stops.
     */
    ORDER,
    /** An enum label used in the transaction that added it (55P04): apply again one source transaction per group. */
    ONE_PER_GROUP,
    /** Anything else: the follower refuses the change; stop, naming it. */
    STOP;

    public static FailureKind of(SQLException e) {
        String s = e.getSQLState();
        if (s == null) {
            return e.getCause() instanceof IOException ? RETRY : STOP;
        }
        if (s.startsWith("08") || s.equals("40001") || s.equals("40P01") || s.startsWith("53")
                || s.equals("57P01") || s.equals("57P02") || s.equals("57P03")) {
            return RETRY;
        }
        if (s.equals("23505") || s.equals("23P01")) {
            return ORDER;
        }
        return s.equals("55P04") ? ONE_PER_GROUP : STOP;
    }

    public static boolean retriable(SQLException e) {
        return of(e) == RETRY;
    }
}
