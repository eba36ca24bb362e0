package io.sluice.capture.internal;

import io.sluice.format.DdlMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** The functions and event triggers the script creates, and the mark it leaves on {@code sluice.emit_ddl()}. */
    static final List<String> FUNCTIONS = created(INSTALL, "CREATE OR REPLACE FUNCTION sluice\\.(\\w+)\\(");
    static final List<String> TRIGGERS = created(INSTALL, "CREATE EVENT TRIGGER (\\w+)");
    static final String MARK = mark(INSTALL);

    static {
        checkRevoked(INSTALL, FUNCTIONS);
    }

    /**
     * The body of the script's {@code sluice.table_types(oid)}, its argument a bind parameter: the
     * types of its own a table uses, as a DDL message's {@code types} JSON. One query for the
     * trigger's messages and for capture's own catalog reads, installed or not.
     */
    public static final String TABLE_TYPES = body(INSTALL, "table_types", "$types$");

    /**
     * The body of the script's {@code sluice.table_shape(oid)}, its argument a bind parameter: a table's shape as
     * capture announces it, as JSON. One query for the rows messages of a table taken into a publication (the shape
     * as the table was then) and for capture's own catalog reads, installed or not.
     */
    public static final String TABLE_SHAPE = body(INSTALL, "table_shape", "$shape$");

    /**
     * The prefix of the messages the script's {@code sluice.emit_rows} writes: the rows of a partition
     * attached holding them, which no row change carries (a JSON line, then COPY text).
     */
    public static final String ROWS_PREFIX = "sluice.rows";

    private DdlTrigger() {
    }

    private static String load() {
        try (var in = DdlTrigger.class.getResourceAsStream("/io/sluice/capture/ddl-capture.sql")) {
            String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            for (String prefix : List.of(DdlMessage.PREFIX, ROWS_PREFIX, io.sluice.format.TableDrop.PREFIX)) {
                if (!sql.contains("'" + prefix + "'")) {
                    throw new IllegalStateException("ddl-capture.sql does not write the prefix " + prefix);
                }
            }
            return sql;
        } catch (java.io.IOException | NullPointerException e) {
            throw new IllegalStateException("capture's ddl-capture.sql is missing from the class path", e);
        }
    }

    private static String body(String script, String function, String mark) {
        int from = script.indexOf(mark, script.indexOf("FUNCTION sluice." + function + "("));
        int to = script.indexOf(mark, from + mark.length());
        if (from < 0 || to < 0) {
            throw new IllegalStateException("ddl-capture.sql has no sluice." + function + " body between " + mark + " quotes");
        }
        // Capture's session prints names as the wrappers do under the install's search_path: the catalog's own functions.
        return script.substring(from + mark.length(), to).replace("$1", "?").replace("sluice.type_text(", "format_type(")
                .replace("sluice.check_text(", "pg_get_constraintdef(").replace("sluice.expr_text(", "pg_get_expr(");
    }

    /**
     * Installs (or refreshes) the triggers when the role may; returns whether DDL is captured. A
     * primary that already has this script's objects — every function and event trigger of it,
     * enabled, and the mark of this very script on {@code sluice.emit_ddl()} — is left as it is: a
     * capture restart does not rewrite the primary's catalog (nor wait for the locks that takes).
     */
    public static boolean install(Connection c) throws SQLException {
        boolean superuser;
        boolean current;
        boolean some;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT r.rolsuper,
                       obj_description(to_regprocedure('sluice.emit_ddl()'), 'pg_proc') IS NOT DISTINCT FROM ?
                       AND to_regclass('sluice.table_name') IS NOT NULL
                       AND (SELECT count(DISTINCT proname) FROM pg_proc
                             WHERE pronamespace = to_regnamespace('sluice') AND proname = ANY (?)) = ?
                       AND (SELECT count(*) FROM pg_event_trigger WHERE evtname = ANY (?) AND evtenabled <> 'D') = ?,
                       to_regprocedure('sluice.emit_ddl()') IS NOT NULL
                  FROM pg_roles r WHERE r.rolname = current_user""")) {
            ps.setString(1, MARK);
            ps.setArray(2, c.createArrayOf("text", FUNCTIONS.toArray()));
            ps.setInt(3, FUNCTIONS.size());
            ps.setArray(4, c.createArrayOf("text", TRIGGERS.toArray()));
            ps.setInt(5, TRIGGERS.size());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                superuser = rs.getBoolean(1);
                current = rs.getBoolean(2);
                some = rs.getBoolean(3);
            }
        }
        if (!superuser) {
            if (current) {
                log.info("DDL capture on the primary is current (installed by a superuser): event triggers {}",
                        String.join(", ", TRIGGERS));
                return true;
            }
            log.warn(some
                    ? "the primary's DDL triggers are not those of this capture's ddl-capture.sql (an older script, or part"
                    + " of it dropped or disabled): their messages may be refused as unsigned. As a superuser, run"
                    + " capture/src/main/resources/io/sluice/capture/ddl-capture.sql again in the captured database"
                    : "DDL is not captured as it happens: event triggers need a superuser. As one, run"
                    + " capture/src/main/resources/io/sluice/capture/ddl-capture.sql once in the captured database;"
                    + " until then ADD COLUMN ... DEFAULT and DROP COLUMN reach followers only with the table's next write");
            return false;
        }
        if (current) {
            // The name maps are unlogged: a crash of the primary, or a promoted standby, has them empty, and
            // what a partition held must be known before it is dropped — filled again now, not at the next DDL.
            try (Statement st = c.createStatement()) {
                st.execute("SELECT sluice.fill_names(), sluice.fill_type_names()"
                        + " WHERE NOT pg_is_in_recovery() AND NOT EXISTS (SELECT FROM sluice.table_name)");
            }
            log.info("DDL capture on the primary is current: event triggers {}", String.join(", ", TRIGGERS));
            return true;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(INSTALL);
            st.execute("COMMENT ON FUNCTION sluice.emit_ddl() IS '" + MARK + "'");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
        log.info("DDL capture installed on the primary: event triggers {}", String.join(", ", TRIGGERS));
        return true;
    }

    /** What the script creates under {@code pattern}'s first group, each name once, in order. */
    private static List<String> created(String script, String pattern) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile(pattern).matcher(script);
        while (m.find()) {
            names.add(m.group(1));
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("ddl-capture.sql creates nothing matching " + pattern);
        }
        return List.copyOf(names);
    }

    /**
     * The script revokes EXECUTE from PUBLIC on each of its functions but {@code read_message_key}, which
     * checks its caller itself: a function added to the script and not to that list would let any role
     * call it with the owner's rights, or sign a message of its choosing.
     */
    private static void checkRevoked(String script, List<String> functions) {
        Matcher m = Pattern.compile("DO \\$revoke\\$.*?ANY \\('\\{([^}]*)\\}'", Pattern.DOTALL).matcher(script);
        if (!m.find()) {
            throw new IllegalStateException("ddl-capture.sql revokes EXECUTE on no function");
        }
        Set<String> revoked = new LinkedHashSet<>(List.of(m.group(1).replaceAll("\\s", "").split(",")));
        Set<String> expected = new LinkedHashSet<>(functions);
        expected.remove("read_message_key");
        if (!revoked.equals(expected)) {
            throw new IllegalStateException("ddl-capture.sql revokes EXECUTE on " + revoked + " but creates " + expected);
        }
    }

    /** The script's own mark: a digest of its text, so a changed script is installed again. */
    private static String mark(String script) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(script.getBytes(StandardCharsets.UTF_8));
            return "sluice ddl-capture " + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
