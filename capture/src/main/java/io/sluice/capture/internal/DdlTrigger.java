package io.sluice.capture.internal;

import io.sluice.format.DdlMessage;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures DDL as it happened: an event trigger on the primary that, at the end of every
 * {@code ALTER TABLE}, writes the table's new definition as a transactional logical message
 * ({@link DdlMessage}) inside the ALTER's own transaction, so it reaches the stream at the exact
 * WAL position. A second trigger, on {@code table_rewrite}, notes a rewrite caused by a volatile
 * default. Values in the message are printed with the same fixed output settings as the stream's
 * (whatever the altering session's DateStyle). Event triggers need a superuser: capture installs
 * them when its role is one, and otherwise says what to run (docs/capture.md).
 */
public final class DdlTrigger {

    private static final Logger log = LoggerFactory.getLogger(DdlTrigger.class);

    /** The statements, also shipped for a superuser to run by hand ({@code io/sluice/capture/ddl-capture.sql}). */
    static final String INSTALL = load();

    private static final String TYPES_MARK = "$types$";

    /**
     * The body of the script's {@code sluice.table_types(oid)}, its argument a bind parameter: the
     * types of its own a table uses, as a DDL message's {@code types} JSON. One query for the
     * trigger's messages and for capture's own catalog reads, installed or not.
     */
    public static final String TABLE_TYPES = tableTypes(INSTALL);

    private DdlTrigger() {
    }

    private static String load() {
        try (var in = DdlTrigger.class.getResourceAsStream("/io/sluice/capture/ddl-capture.sql")) {
            String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!sql.contains("'" + DdlMessage.PREFIX + "'")) {
                throw new IllegalStateException("ddl-capture.sql does not write the prefix " + DdlMessage.PREFIX);
            }
            return sql;
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("capture's ddl-capture.sql is missing from the class path", e);
        }
    }

    private static String tableTypes(String script) {
        int from = script.indexOf(TYPES_MARK, script.indexOf("FUNCTION sluice.table_types("));
        int to = script.indexOf(TYPES_MARK, from + TYPES_MARK.length());
        if (from < 0 || to < 0) {
            throw new IllegalStateException("ddl-capture.sql has no sluice.table_types body between " + TYPES_MARK + " quotes");
        }
        return script.substring(from + TYPES_MARK.length(), to).replace("$1", "?");
    }

    /** Installs (or refreshes) the triggers when the role may; returns whether DDL is captured. */
    public static boolean install(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
            if (!rs.next() || !rs.getBoolean(1)) {
                log.warn("DDL is not captured as it happens: event triggers need a superuser. As one, run"
                        + " capture/src/main/resources/io/sluice/capture/ddl-capture.sql once in the captured database;"
                        + " until then ADD COLUMN ... DEFAULT and DROP COLUMN reach followers only with the table's next write");
                return false;
            }
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(INSTALL);
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
        log.info("DDL capture installed on the primary: event triggers sluice_ddl, sluice_rewrite, sluice_names and sluice_drops");
        return true;
    }
}
