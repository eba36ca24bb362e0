package io.sluice.format.follower;

import io.sluice.format.SequenceState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * {@code sluice.sequence_state} on a PostgreSQL follower: the latest {@code sluice.sequences}
 * message of a source, kept by the applier in the follower transaction of the group that carried
 * it (FORMAT.md, "Follower bookkeeping"), read by a promotion to set the new primary's sequences past every
 * value the old primary handed out.
 */
public final class KeptSequences {

    private KeptSequences() {
    }

    /** The latest sequence state kept for {@code source}, if capture ever sent one. */
    public static Optional<SequenceState> read(Connection c, String source) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT state FROM sluice.sequence_state WHERE source = ?")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(SequenceState.parse(rs.getBytes(1))) : Optional.empty();
            }
        }
    }
}
