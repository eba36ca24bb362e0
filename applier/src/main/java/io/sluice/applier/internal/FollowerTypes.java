package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's types of its own, made to match the definitions a DDL message carries: domains,
 * composite types, range types and enums, created when missing (an enum also given the labels
 * the primary added since), each checked like a schema event's types before anything runs; an
 * extension's type by creating its extension ({@link FollowerExtensions}).
 */
final class FollowerTypes {

    private static final Logger log = LoggerFactory.getLogger(FollowerTypes.class);

    private FollowerTypes() {
    }

    /**
     * Creates a domain, composite or range type the follower lacks, from its definition on the primary:
     * its base or attribute types pass the same checks as a schema event's, a domain's constraints
     * must be CHECK clauses. A type the follower has is changed to the definition only when
     * {@code exact} (the event trigger's message, as of its place in the stream: {@link TypeChanges}),
     * and left as it is otherwise.
     */
    static void ensure(Connection c, TypeDefinition type, EventHeader header, String where, EnumLabels enums,
                       boolean exact) throws SQLException {
        if (type.kind().equals("extension")) {
            FollowerExtensions.ensure(c, type, header, where);
            return;
        }
        String name = type.qualifiedName();
        boolean exists = exists(c, name);
        if (type.kind().equals("enum")) {
            ensureEnum(c, type, exists, header, enums, exact);
            return;
        }
        if (exists && !exact) {
            return; // capture's own description may be ahead of the stream: only the trigger's changes a type
        }
        boolean domain = type.kind().equals("domain");
        boolean range = type.kind().equals("range");
        List<Column> parts = new ArrayList<>();
        if (domain || range) {
            parts.add(new Column("base", type.base(), true, false));
        } else {
            type.attributes().forEach(a -> parts.add(new Column(a.name(), a.type(), true, false)));
        }
        ChangeEvent.SchemaChange shape = new ChangeEvent.SchemaChange(header, new TableId(type.schema(), type.name()), parts,
                ChangeEvent.ReplicaIdentity.DEFAULT);
        String refused = SchemaGuard.refusal(shape);

        if (refused != null) {
            throw new ApplierException("bad DDL message at " + where + ": " + refused + "; the follower stays at its last good"
                    + " watermark", false, null);
        }
        SchemaGuard.checkOnFollower(c, shape, where);
        if (exists) {
            TypeChanges.evolve(c, type, header, where);
            return;
        }
        String sql = domain
                ? "CREATE DOMAIN " + name + " AS " + type.base() + (type.notNull() ? " NOT NULL" : "") + " "
                        + String.join(" ", type.checks())
                : range ? rangeStatement(name, type)
                : "CREATE TYPE " + name + " AS (" + type.attributes().stream()
                        .map(a -> TableId.quote(a.name()) + " " + a.type()).collect(java.util.stream.Collectors.joining(", ")) + ")";
        try (Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(type.schema()));
            FollowerTable.execute(st, sql, shape, null);
        }
        log.info("created {} {} on the follower (source LSN {})", type.kind(), name, header.commitLsn());
    }

    /**
     * A type the primary renamed or moved (the trigger's message names what it was called): renamed
     * the same way on the follower while the follower has it by the old name and nothing by the new
     * one — in the apply transaction, so a replay from before the rename still finds the old name.
     * Its columns, and arrays of it, follow it with their values, as on the primary. A range's
     * multirange type, which has a name of its own, is found through the range and follows the name
     * the definition gives it.
     */
    static void renameAsOnPrimary(Connection c, TypeDefinition type, EventHeader header, String where)
            throws SQLException {
        String alter = type.kind().equals("domain") ? "ALTER DOMAIN " : "ALTER TYPE ";
        if (!type.renamedFrom().isEmpty()) {
            rename(c, alter, type.renamedFrom(), List.of(type.schema(), type.name()), type.kind(), header, where);
        }
        TypeDefinition.RangeParts parts = type.range();
        if (type.kind().equals("range") && parts != null && !parts.multirange().isEmpty()) {
            try (var ps = c.prepareStatement("SELECT n.nspname, t.typname FROM pg_range r JOIN pg_type t ON t.oid = r.rngmultitypid"
                    + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE r.rngtypid = to_regtype(?)")) {
                ps.setString(1, type.qualifiedName());
                try (var rs = ps.executeQuery()) {
                    if (rs.next()) {
                        rename(c, alter, List.of(rs.getString(1), rs.getString(2)), parts.multirange(), "multirange", header,
                                where);
                    }
                }
            }
        }
    }

    /**
     * {@code from} renamed and moved to {@code to}, each {@code [schema, name]}, unless the follower
     * lacks it or has {@code to}; never a type of PostgreSQL's own schemas, nor into them.
     */
    private static void rename(Connection c, String alter, List<String> from, List<String> to, String kind, EventHeader header,
                               String where) throws SQLException {
        String was = qualified(from);
        if (from.equals(to)) {
            return;
        }
        if (systemSchema(from.get(0)) || systemSchema(to.get(0))) {
            throw new ApplierException("bad DDL message at " + where + ": it renames " + kind + " " + was + " to " + qualified(to)
                    + ", in a schema of PostgreSQL's own; the follower stays at its last good watermark", false, null);
        }
        if (!exists(c, was) || exists(c, qualified(to))) {
            return;
        }
        try (Statement st = c.createStatement()) {
            if (!from.get(1).equals(to.get(1))) {
                st.execute(alter + was + " RENAME TO " + TableId.quote(to.get(1)));
            }
            if (!from.get(0).equals(to.get(0))) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(to.get(0)));
                st.execute(alter + qualified(List.of(from.get(0), to.get(1))) + " SET SCHEMA " + TableId.quote(to.get(0)));
            }
        }
        log.info("{} {} renamed to {} on the follower, as on the primary (source LSN {})", kind, was, qualified(to),
                header.commitLsn());
    }

    private static boolean systemSchema(String schema) {
        return schema.equals("information_schema") || schema.startsWith("pg_");
    }

    /** Whether the follower has a type of that name (a type name as SQL writes it). */
    static boolean exists(Connection c, String type) throws SQLException {
        try (var ps = c.prepareStatement("SELECT to_regtype(?) IS NOT NULL")) {
            ps.setString(1, type);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * A range type as the primary has it: its subtype, and the collation and operator class its
     * bounds are ordered by when not the subtype's defaults (a bound order differing from the
     * primary's could refuse values the primary accepted), and its multirange type's name. Its
     * canonical and subtype-difference functions are not created: values arrive canonical, as the
     * primary printed them.
     */
    private static String rangeStatement(String name, TypeDefinition type) {
        StringBuilder sql = new StringBuilder("CREATE TYPE ").append(name).append(" AS RANGE (subtype = ").append(type.base());
        TypeDefinition.RangeParts parts = type.range();
        if (parts != null && !parts.collation().isEmpty()) {
            sql.append(", collation = ").append(qualified(parts.collation()));
        }
        if (parts != null && !parts.opclass().isEmpty()) {
            sql.append(", subtype_opclass = ").append(qualified(parts.opclass()));
        }
        if (parts != null && !parts.multirange().isEmpty()) {
            sql.append(", multirange_type_name = ").append(qualified(parts.multirange()));
        }
        return sql.append(')').toString();
    }

    /** {@code [schema, name]} as a quoted, qualified name: a type's, a collation's, an operator class's. */
    static String qualified(List<String> schemaAndName) {
        return TableId.quote(schemaAndName.get(0)) + "." + TableId.quote(schemaAndName.get(1));
    }

    /** An enum: created with its labels, or given the labels the primary added or renamed since. */
    private static void ensureEnum(Connection c, TypeDefinition type, boolean exists, EventHeader header,
                                   EnumLabels enums, boolean exact) throws SQLException {
        String name = type.qualifiedName();
        try (Statement st = c.createStatement()) {
            if (!exists) {
                st.execute("CREATE SCHEMA IF NOT EXISTS " + TableId.quote(type.schema()));
            }
            if (enums.ensure(c, st, name, type.labels(), exact, (s, sql) -> enumStatement(s, sql, name, header))) {
                log.info("created enum {} on the follower (source LSN {})", name, header.commitLsn());
            }
        }
    }

    private static void enumStatement(Statement st, String sql, String type, EventHeader header) {
        try {
            st.execute(sql);
        } catch (SQLException ex) {
            throw new ApplierException("the follower cannot take enum " + type + " at source LSN " + header.commitLsn() + ": "
                    + ex.getMessage() + " [SQLSTATE " + ex.getSQLState() + "; statement: " + sql + "]", false, ex);
        }
    }
}
