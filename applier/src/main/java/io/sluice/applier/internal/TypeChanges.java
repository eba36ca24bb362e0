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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A domain or composite type the follower has, brought to the definition an ALTER DOMAIN or ALTER
 * TYPE gave it on the primary (the event trigger's message, as of its place in the stream): a
 * domain's CHECK constraints dropped and added and its NOT NULL set or dropped, so the follower
 * takes every value the primary now takes; a composite's attributes added at the end, dropped, or
 * renamed in place — one ALTER at a time, as the primary made them. A change that is none of
 * these (the attributes of two ALTERs at once) is refused, naming both definitions.
 */
final class TypeChanges {

    private static final Logger log = LoggerFactory.getLogger(TypeChanges.class);

    private TypeChanges() {
    }

    /** Brings the follower's {@code type} (which exists) to its definition; runs in the apply transaction. */
    static void evolve(Connection c, TypeDefinition type, EventHeader header, String where) throws SQLException {
        switch (type.kind()) {
            case "domain" -> domain(c, type, header, where);
            case "composite" -> composite(c, type, header, where);
            default -> { } // an enum's labels are EnumLabels'; a range cannot change
        }
    }

    private static void domain(Connection c, TypeDefinition type, EventHeader header, String where)
            throws SQLException {
        String name = type.qualifiedName();
        Map<String, String> have = new LinkedHashMap<>(); // definition -> constraint name
        boolean notNull;
        try (PreparedStatement ps = c.prepareStatement("SELECT t.typnotnull, con.conname, pg_get_constraintdef(con.oid)"
                + " FROM pg_type t LEFT JOIN pg_constraint con ON con.contypid = t.oid AND con.contype = 'c'"
                + " WHERE t.oid = to_regtype(?) ORDER BY con.conname")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                notNull = rs.getBoolean(1);
                do {
                    if (rs.getString(2) != null) {
                        have.put(rs.getString(3), rs.getString(2));
                    }
                } while (rs.next());
            }
        }
        List<String> statements = new ArrayList<>();
        have.forEach((definition, constraint) -> {
            if (!type.checks().contains(definition)) {
                statements.add("ALTER DOMAIN " + name + " DROP CONSTRAINT " + TableId.quote(constraint));
            }
        });
        for (String check : type.checks()) {
            if (!have.containsKey(check)) {
                statements.add("ALTER DOMAIN " + name + " ADD " + check);
            }
        }
        if (notNull != type.notNull()) {
            statements.add("ALTER DOMAIN " + name + (type.notNull() ? " SET" : " DROP") + " NOT NULL");
        }
        run(c, statements, type, header, where);
    }

    private static void composite(Connection c, TypeDefinition type, EventHeader header, String where)
            throws SQLException {
        String name = type.qualifiedName();
        List<TypeDefinition.Attribute> have = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_type t"
                + " JOIN pg_attribute a ON a.attrelid = t.typrelid WHERE t.oid = to_regtype(?) AND a.attnum > 0"
                + " AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    have.add(new TypeDefinition.Attribute(rs.getString(1), rs.getString(2)));
                }
            }
        }
        List<TypeDefinition.Attribute> want = type.attributes();
        if (have.equals(want)) {
            return;
        }
        List<String> statements = new ArrayList<>();
        if (have.size() < want.size() && want.subList(0, have.size()).equals(have)) {
            for (TypeDefinition.Attribute a : want.subList(have.size(), want.size())) {
                statements.add("ALTER TYPE " + name + " ADD ATTRIBUTE " + TableId.quote(a.name()) + " " + a.type());
            }
        } else if (have.size() > want.size() && isSubsequence(want, have)) {
            for (TypeDefinition.Attribute a : have) {
                if (!want.contains(a)) {
                    statements.add("ALTER TYPE " + name + " DROP ATTRIBUTE " + TableId.quote(a.name()));
                }
            }
        } else if (have.size() == want.size()) {
            for (int i = 0; i < have.size(); i++) {
                TypeDefinition.Attribute h = have.get(i);
                TypeDefinition.Attribute w = want.get(i);
                if (!h.type().equals(w.type()) && !h.name().equals(w.name())) {
                    throw refused(type, have, header, where);
                }
                if (!h.name().equals(w.name())) {
                    statements.add("ALTER TYPE " + name + " RENAME ATTRIBUTE " + TableId.quote(h.name()) + " TO "
                            + TableId.quote(w.name()));
                } else if (!h.type().equals(w.type())) {
                    statements.add("ALTER TYPE " + name + " ALTER ATTRIBUTE " + TableId.quote(h.name()) + " TYPE " + w.type());
                }
            }
        } else {
            throw refused(type, have, header, where);
        }
        run(c, statements, type, header, where);
    }

    private static boolean isSubsequence(List<TypeDefinition.Attribute> part, List<TypeDefinition.Attribute> whole) {
        int i = 0;
        for (TypeDefinition.Attribute a : whole) {
            if (i < part.size() && part.get(i).equals(a)) {
                i++;
            }
        }
        return i == part.size();
    }

    private static void run(Connection c, List<String> statements, TypeDefinition type, EventHeader header,
                            String where) throws SQLException {
        if (statements.isEmpty()) {
            return;
        }
        try (Statement st = c.createStatement()) {
            for (String sql : statements) {
                try {
                    st.execute(sql);
                } catch (SQLException e) {
                    throw new ApplierException("the follower cannot take the primary's change of " + type.kind() + " "
                            + type.qualifiedName() + " at source LSN " + header.commitLsn() + " (" + where + "): "
                            + e.getMessage() + " [SQLSTATE " + e.getSQLState() + "; statement: " + sql + "]; the follower"
                            + " stays at its last good watermark", false, e);
                }
            }
        }
        log.info("follower's {} {} changed as the primary's (source LSN {}): {}", type.kind(), type.qualifiedName(),
                header.commitLsn(), statements);
    }

    private static ApplierException refused(TypeDefinition type, List<TypeDefinition.Attribute> have,
                                            EventHeader header, String where) {
        return new ApplierException("composite type " + type.qualifiedName() + " on the follower " + have + " cannot be"
                + " brought to the primary's " + type.attributes() + " at source LSN " + header.commitLsn() + " (" + where
                + ") by adding, dropping or renaming attributes; change it on the follower by hand, then start the applier"
                + " again; the follower stays at its last good watermark", false, null);
    }
}
