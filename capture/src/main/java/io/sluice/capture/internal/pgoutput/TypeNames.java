package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.format.TableId;
import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A column type's name as the schema event gives it: {@code format_type(oid, typmod)} and, for an
 * enum, its labels, read from the primary's catalog once per type. A type the catalog lacks — the
 * decoded transaction's own, not visible yet ({@link CommitVisibility}), or one dropped since the
 * change was written — is named as pgoutput's Type message named it. Not thread-safe: the
 * engine's thread.
 */
final class TypeNames {

    private static final Logger log = LoggerFactory.getLogger(TypeNames.class);

    private static final String TYPE = """
            SELECT format_type(t.oid, ?),
                   (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                     WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END),
                   en.nspname, ev.typname
              FROM pg_type t
              LEFT JOIN pg_type ev ON ev.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END AND ev.typtype = 'e'
              LEFT JOIN pg_namespace en ON en.oid = ev.typnamespace
             WHERE t.oid = ?""";

    /**
     * A column type's name as the schema event gives it, with its labels when it is an enum (or an array of one), and
     * that enum's {@code [schema, name]} (empty when none).
     */
    record TypeName(String name, List<String> enumLabels, List<String> enumType) { }

    private record TypeKey(int oid, int modifier) { }

    private final PrimarySession session;
    private final CommitVisibility commits;
    private final Duration patience;
    private final Map<TypeKey, TypeName> types = new HashMap<>();
    private final Map<Integer, PgOutputMessage.Type> typeMessages = new HashMap<>();

    /** {@code patience}: how long a name the catalog lacks waits for the decoded transaction to become visible. */
    TypeNames(PrimarySession session, CommitVisibility commits, Duration patience) {
        this.session = session;
        this.commits = commits;
        this.patience = patience;
    }

    /** The name of type {@code oid} with modifier {@code modifier}, as a column of the decoded change has it. */
    TypeName of(int oid, int modifier) throws SQLException {
        TypeKey k = new TypeKey(oid, modifier);
        TypeName known = types.get(k);
        if (known != null) {
            return known;
        }
        TypeName t = readType(oid, modifier);
        if (t == null && commits.becameVisible(session.get(), patience)) {
            t = readType(oid, modifier);
        }
        if (t == null) {
            PgOutputMessage.Type named = typeMessages.get(oid);
            if (!commits.known()) {
                if (named == null) {
                    throw new IllegalStateException(commits.notVisible(patience));
                }
                return byTypeMessage(named, "its transaction is not visible to capture yet");
            }
            if (named == null) {
                throw new SQLException("type oid " + oid + " is not in pg_type, and pgoutput did not name it");
            }
            return byTypeMessage(named, "it was dropped since the change was written");
        }
        types.put(k, t);
        return t;
    }

    /**
     * A type the catalog does not have, named as pgoutput's Type message names it (from the
     * catalog as of the change): schema-qualified, its enum labels unknown. Not cached — the
     * catalog may have it at the next Relation message.
     */
    private static TypeName byTypeMessage(PgOutputMessage.Type t, String why) {
        String name = TableId.quote(t.namespace()) + "." + TableId.quote(t.name());
        log.warn("type {} (oid {}) is not in the primary's catalog ({}): named as pgoutput names it, without enum labels",
                name, t.oid(), why);
        return new TypeName(name, List.of(), List.of());
    }

    /**
     * Forgets every name and label read: a DDL message says the catalog changed (an enum's labels,
     * a type's name), and the next Relation message reads it again.
     */
    void forget() {
        types.clear();
    }

    /** Records the name pgoutput gives a type of its own before a Relation message that uses it. */
    void named(PgOutputMessage.Type t) {
        typeMessages.put(t.oid(), t);
    }

    private TypeName readType(int oid, int modifier) throws SQLException {
        try (PreparedStatement ps = session.get().prepareStatement(TYPE)) {
            ps.setInt(1, modifier);
            ps.setInt(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Array labels = rs.getArray(2);
                return new TypeName(rs.getString(1), labels == null ? List.of() : List.of((String[]) labels.getArray()),
                        rs.getString(3) == null ? List.of() : List.of(rs.getString(3), rs.getString(4)));
            }
        }
    }
}
