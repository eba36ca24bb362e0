package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.follower.Watermark;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The stream is a trust boundary: a schema event's column types end up in the follower's
 * {@code CREATE TABLE}, {@code ALTER TABLE}, {@code CREATE TYPE} and in the casts of every multi-row
 * statement, so whoever can write to the stream topic could otherwise run SQL on every follower.
 * Names (schema, table, column) are always quoted and enum labels always written as literals; the
 * one part spliced as text, a type, must pass two checks before any statement carries it:
 * <ol>
 *   <li>{@link #refusal} (on the stream thread, so the error names the topic-partition@offset): a
 *       strict grammar of what {@code format_type} prints — words and quoted identifiers, an
 *       optional schema, modifiers of digits, letters and commas, array brackets; no comments, no
 *       semicolons, no quotes outside an identifier. An enum is created by name, so its type must
 *       be a plain, possibly qualified, name.</li>
 *   <li>{@link #checkOnFollower}: PostgreSQL's own parser, {@code to_regtype}, must read every
 *       non-enum type as exactly one existing type (it refuses {@code integer DEFAULT random}, which
 *       the grammar lets through as words).</li>
 * </ol>
 * Stateless.
 */
public final class SchemaGuard {

    private static final String NAME = "(?:[A-Za-z_][A-Za-z0-9_$]*|\"(?:[^\"]|\"\")+\")";
    private static final String MODIFIER = "\\([A-Za-z0-9_ .,+-]*\\)";
    private static final Pattern TYPE = Pattern.compile(NAME + "(?:\\." + NAME + ")?(?: " + NAME + "|" + MODIFIER + ")*"
            + "(?:\\[[0-9]*\\])*");
    private static final Pattern ENUM_TYPE = Pattern.compile(NAME + "(?:\\." + NAME + ")?(?:\\[\\])?");

    private SchemaGuard() {
    }

    /**
     * Why an expression from a DDL message (a generation expression, the inside of a CHECK) cannot
     * be written between the parentheses of a statement, or null when it can: it must stay inside
     * them — parentheses balanced and never closed below the level it starts at, quotes closed —
     * and hold no statement separator, comment or dollar quote outside its literals. PostgreSQL's
     * own parser then decides whether it is an expression at all.
     */
    public static String expressionRefusal(String what, String expression) {
        int depth = 0;
        int n = expression.length();
        for (int i = 0; i < n; i++) {
            char ch = expression.charAt(i);
            if (ch == '\'' || ch == '"') {
                boolean escapes = ch == '\'' && i > 0 && (expression.charAt(i - 1) == 'E' || expression.charAt(i - 1) == 'e');
                int j = i + 1;
                for (; j < n; j++) {
                    char c = expression.charAt(j);
                    if (escapes && c == '\\') {
                        j++;
                    } else if (c == ch) {
                        if (j + 1 < n && expression.charAt(j + 1) == ch) {
                            j++;
                        } else {
                            break;
                        }
                    }
                }
                if (j >= n) {
                    return what + " '" + expression + "' has an unclosed quote";
                }
                i = j;
            } else if (ch == '(') {
                depth++;
            } else if (ch == ')' && --depth < 0) {
                return what + " '" + expression + "' closes a parenthesis it did not open";
            } else if (ch == ';' || ch == '$' || ch == '-' && i + 1 < n && expression.charAt(i + 1) == '-'
                    || ch == '/' && i + 1 < n && expression.charAt(i + 1) == '*') {
                return what + " '" + expression + "' holds '" + ch + "' outside its literals";
            }
        }
        return depth == 0 ? null : what + " '" + expression + "' leaves a parenthesis open";
    }

    /** Why the event's types cannot be written into SQL, or null when they can. */
    public static String refusal(ChangeEvent.SchemaChange e) {
        if (Watermark.SCHEMA.equals(e.table().schema())) {
            return "schema event for table " + e.table() + ": schema " + Watermark.SCHEMA + " holds the follower's own"
                    + " bookkeeping, which no stream writes";
        }
        for (Column c : e.columns()) {
            String type = c.type();
            boolean ok = c.enumLabels().isEmpty() ? TYPE.matcher(type).matches() : ENUM_TYPE.matcher(type).matches();
            if (!ok || type.contains("--") || type.contains("/*")) {
                return "schema event for table " + e.table() + " gives column " + c.name() + " the type '" + type
                        + "', which is not a type name" + (c.enumLabels().isEmpty() ? "" : " an enum can be created under");
            }
        }
        return null;
    }

    /**
     * Confirms that the follower reads every non-enum type of the event as one type it has.
     *
     * @throws ApplierException not retriable, naming the column, the type and {@code where}
     */
    public static void checkOnFollower(Connection c, ChangeEvent.SchemaChange e, String where) throws SQLException {
        checkOnFollower(c, e, where, Map.of());
    }

    /**
     * As {@link #checkOnFollower(Connection, ChangeEvent.SchemaChange, String)}, except for columns
     * the follower's table already has with exactly the event's type: that text is the follower's
     * own name of a type it has ({@code format_type}), and nothing is built from it. A restarted
     * applier meets every table again, each column as it is.
     */
    static void checkOnFollower(Connection c, ChangeEvent.SchemaChange e, String where, Map<String, FollowerTable.Existing> existing)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regtype(?) IS NOT NULL")) {
            for (Column col : e.columns()) {
                if (!col.enumLabels().isEmpty()) {
                    continue; // created by name from the event, once the grammar has passed it
                }
                FollowerTable.Existing has = existing.get(col.name());
                if (has != null && has.type().equals(col.type())) {
                    continue;
                }
                ps.setString(1, col.type());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw refused(e, col, where, "the follower has no type by that name");
                    }
                } catch (SQLException ex) {
                    if (ex.getSQLState() != null && ex.getSQLState().startsWith("42")) {
                        throw refused(e, col, where, "the follower cannot read it as one type name: " + ex.getMessage());
                    }
                    throw ex;
                }
            }
        }
    }

    private static ApplierException refused(ChangeEvent.SchemaChange e, Column col, String where, String why) {
        return new ApplierException("refused " + where + ": schema event for table " + e.table()
                + " gives column " + col.name() + " the type '" + col.type() + "', and " + why
                + "; nothing of it ran on the follower, which stays at its last good watermark", false, null);
    }
}
