package io.sluice.capture.internal;

import io.sluice.format.SequenceState;
import io.sluice.format.TableId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Puts the primary's sequences on the stream (log-format/FORMAT.md, "Sequences"): logical
 * decoding does not carry sequence changes, yet a follower promoted to primary must hand out no
 * value the old primary already did. Each report reads every sequence's definition, owner and last
 * value and, when anything changed since the last one, writes them as a non-transactional logical
 * message, signed, that the engine passes on like any other. Used by one thread at a time.
 */
final class SequenceReports {

    private static final String SEQUENCES = """
            SELECT s.schemaname, s.sequencename, s.data_type::text, s.start_value, s.min_value, s.max_value,
                   s.increment_by, s.cycle, s.cache_size, s.last_value, tn.nspname, t.relname, a.attname,
                   nullif(a.attidentity::text, '')
              FROM pg_sequences s
              JOIN pg_namespace n ON n.nspname = s.schemaname
              JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
              LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
              LEFT JOIN pg_class t ON t.oid = d.refobjid
              LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
              LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema', 'sluice')
             ORDER BY 1, 2""";
    static final String PREFIX = SequenceState.PREFIX;

    private final MessageSignature signature;
    private byte[] last;

    /** {@code signature}: capture's own, which {@link MessageGate} takes the reports by. */
    SequenceReports(MessageSignature signature) {
        this.signature = signature;
    }

    /** Reads the sequences; writes them when they changed since the last report. Returns whether it wrote. */
    boolean report(Connection c) throws SQLException {
        List<SequenceState.Sequence> list = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(SEQUENCES)) {
            while (rs.next()) {
                long last = rs.getLong(10);
                Long lastValue = rs.wasNull() ? null : last;
                String table = rs.getString(12);
                list.add(new SequenceState.Sequence(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                        rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getBoolean(8), rs.getLong(9), lastValue,
                        table == null ? null : new TableId(rs.getString(11), table), table == null ? null : rs.getString(13),
                        rs.getString(14)));
            }
        }
        if (list.isEmpty() && last == null) {
            return false;
        }
        byte[] content = new SequenceState(list).content();
        if (Arrays.equals(content, last)) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(false, '" + PREFIX + "', ?)")) {
            ps.setString(1, new String(signature.sign(PREFIX, content), StandardCharsets.UTF_8));
            ps.execute();
        }
        last = content;
        return true;
    }
}
