package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A type an extension made on the primary ({@code hstore}, {@code citext}, {@code ltree}, …) is
 * made on the follower the same way: by creating the extension in the type's schema, whose own
 * script also makes its functions, operators and casts. Only an extension the follower's server
 * has installed can be created; anything else is refused naming the type, the extension and the
 * way out, before any row of the table is written.
 */
final class FollowerExtensions {

    private static final Logger log = LoggerFactory.getLogger(FollowerExtensions.class);

    private FollowerExtensions() {
    }

    /** Creates {@code type}'s extension unless the follower has the type already. */
    static void ensure(Connection c, TypeDefinition type, EventHeader header, String where) throws SQLException {
        String name = type.qualifiedName();
        if (FollowerTypes.exists(c, name)) {
            return;
        }
        String extension = type.extension();
        boolean available;
        String installedIn;
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = ?),"
                + " (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ?)")) {
            ps.setString(1, extension);
            ps.setString(2, extension);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                available = rs.getBoolean(1);
                installedIn = rs.getString(2);
            }
        }
        String what = "type " + name + " (" + where + ", source LSN " + header.commitLsn() + ") comes from extension "
                + extension + " on the primary";
        if (installedIn != null) {
            throw refused(what + ", which the follower has in schema " + installedIn + ", not in " + type.schema()
                    + "; move it (ALTER EXTENSION " + TableId.quote(extension) + " SET SCHEMA " + TableId.quote(type.schema())
                    + ") or leave the table out of the publication");
        }
        if (!available) {
            throw refused(what + ", and the follower's server does not have it installed (pg_available_extensions); install"
                    + " the extension's package on the follower's server, or leave the table out of the publication");
        }
        String sql = "CREATE EXTENSION IF NOT EXISTS " + TableId.quote(extension) + " WITH SCHEMA " + TableId.quote(type.schema());
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(type.schema()));
            st.execute(sql);
        } catch (SQLException e) {
            throw new ApplierException(what + ", and the follower could not create it: " + e.getMessage() + " [SQLSTATE "
                    + e.getSQLState() + "; statement: " + sql + "]; run it on the follower as a role that may, then start the"
                    + " applier again; the follower stays at its last good watermark", false, e);
        }
        if (!FollowerTypes.exists(c, name)) {
            throw refused(what + ", and creating the extension on the follower did not make it; the follower's version of"
                    + " the extension differs from the primary's");
        }
        log.info("created extension {} on the follower for type {} (source LSN {})", extension, name, header.commitLsn());
    }

    private static ApplierException refused(String why) {
        return new ApplierException(why + "; the follower stays at its last good watermark", false, null);
    }
}
