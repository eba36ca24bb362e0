package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.DdlTrigger;
import io.sluice.format.DdlMessage;
import io.sluice.format.TypeDefinition;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The types of its own a table's columns use, read from the primary's catalog as DDL type
 * definitions a follower can create them from: domains, free-standing composite types, range
 * types, and enums reached through those, each after what it depends on. The query is the body of
 * {@code sluice.table_types} in ddl-capture.sql ({@link DdlTrigger#TABLE_TYPES}): the event trigger's
 * message carries the same definitions from inside the DDL's own transaction.
 */
final class UserTypes {

    private UserTypes() {
    }

    /** The types of the relation {@code relationOid}. */
    static List<TypeDefinition> read(Connection c, int relationOid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(DdlTrigger.TABLE_TYPES)) {
            ps.setInt(1, relationOid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return DdlMessage.parseTypes(rs.getString(1).getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
