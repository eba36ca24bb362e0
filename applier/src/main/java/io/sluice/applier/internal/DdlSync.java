package io.sluice.applier.internal;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a follower table follow an ALTER TABLE as it happened on the primary, from the DDL
 * messages capture writes inside the ALTER's own frame (FORMAT.md): dropped columns at once, new
 * ones with the value existing rows have, retypes by the type's cast, generated columns with their
 * expressions, the key as the trigger's message says it — and stops where the follower cannot
 * reproduce what the primary did. Runs inside the apply transaction. Not thread-safe.
 */
public final class DdlSync {

    private static final Logger log = LoggerFactory.getLogger(DdlSync.class);

    private final SchemaSync schemas;
    private final DefaultsAndCollations described = new DefaultsAndCollations();
    private final TableRenames renames;

    /** {@code schemas}: told to forget a table's shape once a DDL message changed it. */
    public DdlSync(SchemaSync schemas) {
        this.schemas = schemas;
        this.renames = new TableRenames(schemas);
    }

    /**
     * Takes an ALTER TABLE as it happened on the primary ({@link DdlMessage}): drops the columns the
     * primary dropped, adds new ones with the value the primary's existing rows have in them (its
     * missing value, as a constant: the follower's rows then equal the primary's without a row
     * being sent), and stops, naming the table, when the primary rewrote every row with a default
     * computed per row, which no follower can reproduce. The domains and composite types it
     * carries are created first when the follower lacks them. A table the follower does not have
     * yet is left to its first schema event. Types pass the same checks as a schema event's.
     */
    public void apply(Connection c, DdlMessage ddl, EventHeader header, String where) throws SQLException {
        Lsn lsn = header.commitLsn();
        String unsafe = unsafeExpression(ddl);
        if (unsafe != null) {
            throw new ApplierException("bad DDL message at " + where + ": " + unsafe + "; the follower stays at its last good"
                    + " watermark", false, null);
        }
        if (ddl.fromTrigger()) { // renames first: a type may use another the primary renamed
            for (TypeDefinition type : ddl.types()) {
                FollowerTypes.renameAsOnPrimary(c, type, header, where);
            }
        }
        for (TypeDefinition type : ddl.types()) {
            FollowerTypes.ensure(c, type, header, where, schemas.enums(), ddl.fromTrigger());
        }
        if (ddl.renamedFrom() != null) {
            renames.follow(c, ddl.renamedFrom(), ddl.table(), lsn, where);
        }
        Map<String, FollowerTable.Existing> existing = FollowerTable.columns(c, ddl.table());
        if (ddl.columns().isEmpty()) {
            // The trigger's message of a table whose last column an ALTER dropped (capture's own of no columns carries
            // only types): the follower's table loses them too.
            if (ddl.fromTrigger() && !existing.isEmpty()) {
                try (Statement st = c.createStatement()) {
                    FollowerTable.dropEveryColumn(st, ddl.table(), existing, ddl.generated().stream()
                            .map(DdlMessage.Generated::name).collect(java.util.stream.Collectors.toSet()), lsn);
                }
                schemas.forget(ddl.table());
            }
            return;
        }
        if (existing.isEmpty() && !FollowerTable.exists(c, ddl.table())) {
            return;
        }
        columns(c, ddl, header, where, existing);
        described.follow(c, ddl, where);
        if (ddl.inherits() != null) {
            FollowerInheritance.follow(c, ddl.table(), ddl.inherits(), header, where);
        }
    }

    /** The columns of the follower's table ({@code existing}) as the message has them. */
    private void columns(Connection c, DdlMessage ddl, EventHeader header, String where,
                         Map<String, FollowerTable.Existing> existing) throws SQLException {
        Lsn lsn = header.commitLsn();
        PartitionMoves.deleteGone(c, ddl, lsn, where, "the follower", false);
        List<Column> columns = new ArrayList<>();
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            columns.add(new Column(col.name(), col.type(), col.nullable(), false));
        }
        for (DdlMessage.Generated col : ddl.generated()) {
            columns.add(new Column(col.name(), col.type(), col.nullable(), false));
        }
        // The same checks and error reports as for a schema event of this shape.
        ChangeEvent.SchemaChange shape = new ChangeEvent.SchemaChange(header, ddl.table(), columns, ChangeEvent.ReplicaIdentity.DEFAULT);
        String refused = SchemaGuard.refusal(shape);
        if (refused != null) {
            throw new ApplierException("bad DDL message at " + where + ": " + refused + "; the follower stays at its last good"
                    + " watermark", false, null);
        }
        if (ddl.fromTrigger() && renameColumns(c, ddl, existing, shape) || remadeInOrder(c, ddl, existing)) {
            existing = FollowerTable.columns(c, ddl.table());
        }
        // PostgreSQL rewrites a table for a volatile default, but also to add or re-express a stored
        // generated column (the follower computes it) or a column of a domain with constraints. Only
        // an added column with a default and no missing value can hold values computed per row.
        Map<String, FollowerTable.Existing> had = existing;
        boolean inDoubt = ddl.columns().stream()
                .anyMatch(col -> !had.containsKey(col.name()) && col.hasDefault() && col.missing() == null);
        // The rows as the primary left them follow in this frame, and the table was emptied before this message:
        // there is nothing to compute or convert.
        boolean emptied = ddl.rowsFollow() && FollowerTable.isEmpty(c, SchemaSync.rowsOfNow(c, ddl.table()));
        if (ddl.volatileRewrite() && inDoubt && !emptied) {
            throw new ApplierException("the primary rewrote table " + ddl.table() + " at source LSN " + lsn + " (" + where
                    + ") with a default computed per row (a volatile DEFAULT or an identity column in ADD COLUMN):"
                    + " the follower cannot reproduce"
                    + " those values. Re-create the table on the follower from a new snapshot, or make the default"
                    + " non-volatile", false, null);
        }
        SchemaGuard.checkOnFollower(c, shape, where, existing);
        List<String> missing = ddl.renamedColumns().stream().filter(n -> !had.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            // A rename would otherwise read as a dropped column and a new one: the values would be lost.
            throw new ApplierException("the primary renamed columns of table " + ddl.table() + " at source LSN " + lsn + " (" + where
                    + "), now called " + missing + ", and " + ColumnRenames.oldNames(ddl, missing) + ": rename them on the follower"
                    + " the same way (ALTER TABLE ... RENAME COLUMN) and restart the applier", false, null);
        }
        // A retyped column of a table with no row has no value to convert: no cast is needed, and there may be none
        // (the primary's USING, say, from an enum to a number, or a partitioned table it left with no partition). Its
        // inheriting tables count: the follower's ALTER converts theirs too.
        boolean retyped = ddl.columns().stream()
                .anyMatch(col -> had.containsKey(col.name()) && !had.get(col.name()).type().equals(col.type()));
        boolean noRows = emptied || retyped && FollowerTable.isEmpty(c, ddl.table().quoted());
        try (Statement st = c.createStatement()) {
            for (String name : had.keySet()) {
                if (ddl.columns().stream().noneMatch(col -> col.name().equals(name))
                        && ddl.generated().stream().noneMatch(col -> col.name().equals(name))) {
                    FollowerTable.dropColumn(st, shape, name);
                }
            }
            for (DdlMessage.DdlColumn col : ddl.columns()) {
                FollowerTable.Existing have = had.get(col.name());
                if (have == null) {
                    FollowerTable.addColumn(st, shape, new Column(col.name(), col.type(), col.nullable(), false), col.missing());
                    continue;
                }
                if (have.isGenerated()) {
                    FollowerTable.execute(st, "ALTER TABLE " + ddl.table().quoted() + " ALTER COLUMN " + TableId.quote(col.name())
                            + " DROP EXPRESSION", shape, col.name()); // the primary made it a plain column
                }
                retype(st, ddl, col, have.type(), shape, noRows);
                if (have.nullable() != col.nullable()) {
                    FollowerTable.setNullable(st, shape, col.name(), col.nullable()); // at the command's place, not the next row's
                }
            }
            for (DdlMessage.Generated col : ddl.generated()) {
                generated(st, shape, col, had.get(col.name()));
            }
            List<String> key = saidKey(ddl);
            if (key != null) { // at the command's place: a table the primary keyed and never writes again is keyed too
                SchemaSync.followKey(c, st, shape, key);
            }
        }
        schemas.forget(ddl.table());
    }

    /**
     * A table the open transaction created from its schema event, still empty, made again with the message's generated
     * columns at their places, where one comes before a plain column: added, it would come last, and the follower's
     * columns would stand in another order than the primary's. Whether it did.
     */
    private boolean remadeInOrder(Connection c, DdlMessage ddl, Map<String, FollowerTable.Existing> existing) throws SQLException {
        List<String> plain = ddl.columns().stream().map(DdlMessage.DdlColumn::name).toList();
        boolean outOfPlace = ddl.generated().stream()
                .anyMatch(g -> !existing.containsKey(g.name()) && g.place() != null && g.place() < plain.size());
        if (!outOfPlace || !plain.equals(schemas.createdNowWith(ddl.table())) || existing.size() != plain.size()
                || !FollowerTable.isEmpty(c, SchemaSync.rowsOfNow(c, ddl.table()))) {
            return false;
        }
        try (Statement st = c.createStatement()) {
            schemas.remake(st, ddl.table(), ddl.generated());
        }
        log.info("made follower table {} again with its generated columns where the primary has them", ddl.table());
        return true;
    }

    /** The key's columns as a trigger's message says them, in table order; null where it does not say. */
    private static List<String> saidKey(DdlMessage ddl) {
        if (!ddl.fromTrigger() || ddl.columns().stream().anyMatch(col -> col.key() == null)) {
            return null;
        }
        return ddl.columns().stream().filter(col -> col.key()).map(DdlMessage.DdlColumn::name).toList();
    }

    /** The columns the primary renamed, renamed on the follower the same way; whether it renamed any. */
    private static boolean renameColumns(Connection c, DdlMessage ddl, Map<String, FollowerTable.Existing> existing,
                                         ChangeEvent.SchemaChange shape) throws SQLException {
        List<ColumnRenames.Step> steps = ColumnRenames.steps(ddl, existing.keySet());
        try (Statement st = c.createStatement()) {
            for (ColumnRenames.Step step : steps) {
                FollowerTable.execute(st, "ALTER TABLE " + ddl.table().quoted() + " RENAME COLUMN " + TableId.quote(step.from())
                        + " TO " + TableId.quote(step.to()), shape, step.to());
            }
        }
        if (!steps.isEmpty()) {
            log.info("renamed columns of follower table {} as on the primary: {} (source LSN {})", ddl.table(), steps,
                    shape.header().commitLsn());
        }
        return !steps.isEmpty();
    }

    /**
     * The first expression of the message that could reach outside the parentheses it is written
     * between (every one is checked before anything of the message runs), or null.
     */
    private static String unsafeExpression(DdlMessage ddl) {
        String partitions = PartitionMoves.unsafe(ddl);
        if (partitions != null) {
            return partitions;
        }
        for (DdlMessage.Generated g : ddl.generated()) {
            String refused = SchemaGuard.expressionRefusal("the generation expression of " + ddl.table() + "." + g.name(),
                    g.expression());
            if (refused != null) {
                return refused;
            }
        }
        for (DdlMessage.DdlColumn col : ddl.columns()) {
            String refused = col.defaultExpression() == null ? null
                    : SchemaGuard.expressionRefusal("the default of " + ddl.table() + "." + col.name(), col.defaultExpression());
            if (refused != null) {
                return refused;
            }
        }
        for (TypeDefinition t : ddl.types()) {
            for (String check : t.checks()) {
                String body = check.endsWith(" NOT VALID") ? check.substring(0, check.length() - " NOT VALID".length()) : check;
                if (!body.startsWith("CHECK (") || !body.endsWith(")")) {
                    return "domain " + t.qualifiedName() + " has a constraint that is not a CHECK clause: " + check;
                }
                String refused = SchemaGuard.expressionRefusal("the CHECK of domain " + t.qualifiedName(),
                        body.substring("CHECK (".length(), body.length() - 1));
                if (refused != null) {
                    return refused;
                }
            }
        }
        return null;
    }

    /**
     * A column whose type the ALTER changed: converted by the type's cast, as the primary did —
     * unless the primary used an expression of its own ({@code USING}), which the follower cannot
     * know, so the applier stops instead of converting differently; {@code noRows}: the table holds
     * no row to convert (none, or the converted rows follow).
     */
    private static void retype(Statement st, DdlMessage ddl, DdlMessage.DdlColumn col, String had,
                               ChangeEvent.SchemaChange shape, boolean noRows) throws SQLException {
        if (had.equals(col.type())) {
            return;
        }
        if (ddl.usingExpression() && !noRows) {
            throw new ApplierException("the follower cannot take the shape change at source LSN " + shape.header().commitLsn()
                    + " (table " + ddl.table() + ", column " + col.name() + " of type " + col.type() + "): the primary converted"
                    + " its values from " + had + " with ALTER COLUMN ... TYPE ... USING an expression the follower cannot"
                    + " reproduce. Re-create the table on the follower from a new snapshot", false, null);
        }
        FollowerTable.retypeColumn(st, shape, col.name(), had, col.type(), noRows);
    }

    /**
     * A generated column: added with its expression (the follower computes its values, for the
     * rows already there too), or given the primary's new expression. {@code have}: the follower's
     * column, or null.
     */
    private static void generated(Statement st, ChangeEvent.SchemaChange e, DdlMessage.Generated col, FollowerTable.Existing have)
            throws SQLException {
        String table = e.table().quoted();
        String column = TableId.quote(col.name());
        if (have == null) {
            FollowerTable.execute(st, "ALTER TABLE " + table + " ADD COLUMN " + column + " " + col.type() + " GENERATED ALWAYS AS ("
                    + col.expression() + ")" + (col.stored() ? " STORED" : " VIRTUAL") + (col.nullable() ? "" : " NOT NULL"),
                    e, col.name());
            log.info("added generated column {}.{} {} AS ({}) on the follower (source LSN {})", e.table(), col.name(),
                    col.type(), col.expression(), e.header().commitLsn());
        } else if (have.isGenerated() && !col.expression().equals(have.expression())) {
            FollowerTable.execute(st, "ALTER TABLE " + table + " ALTER COLUMN " + column + " SET EXPRESSION AS (" + col.expression() + ")",
                    e, col.name());
            log.info("generated column {}.{} now AS ({}) on the follower (source LSN {})", e.table(), col.name(),
                    col.expression(), e.header().commitLsn());
        }
    }
}
