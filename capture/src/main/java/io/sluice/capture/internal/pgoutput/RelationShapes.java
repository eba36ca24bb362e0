package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.PrimarySession;
import io.sluice.capture.internal.pgoutput.PgOutputMessage.Relation;
import io.sluice.capture.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Turns what pgoutput says of a table (a Relation message: column names, type oids and modifiers,
 * key flags, replica identity) into its {@link TableShape}, with each type named exactly as
 * {@code format_type} names it and enum labels ({@link TypeNames}).
 * What the message does not carry — nullability and, under REPLICA IDENTITY FULL, the primary
 * key — is read from the catalog's current state. Not thread-safe: the engine's thread.
 */
final class RelationShapes implements AutoCloseable {

    private static final String COLUMNS = """
            SELECT a.attname, NOT a.attnotnull, coalesce(a.attnum = ANY(pk.indkey), false), a.atttypid >= ?::oid,
                   a.attgenerated <> '', NOT k.relispartition AND EXISTS (SELECT FROM pg_inherits i WHERE i.inhrelid = k.oid)
              FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
              LEFT JOIN pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped""";

    /**
     * PostgreSQL's {@code FirstNormalObjectId}: every type below it is built in (pg_catalog,
     * information_schema), and so is everything it depends on — {@link UserTypes} has nothing to
     * say of a table whose columns are all of such types.
     */
    private static final int FIRST_NORMAL_OID = 16384;

    /** How long a Relation message's catalog read waits for its transaction to become visible. */
    private static final Duration DEFINE_PATIENCE = Duration.ofSeconds(30);

    private final PrimarySession session;
    private final StreamDefinitions said;
    private final Map<Integer, TableShape> byOid = new HashMap<>();
    private final Map<Integer, Relation> relations = new HashMap<>();
    private final CommitVisibility commits;
    private final TypeNames typeNames;
    private final PublishedShapes published;
    /** The stream's count of label changes the shapes held carry ({@link SaidLabels#changeCount}). */
    private long labelsCarried;

    /** {@code said}: what the stream said of tables and enums, which shapes carry in place of the catalog's. */
    RelationShapes(Supplier<Connection> connections, String source, Clock clock, StreamDefinitions said) {
        this.said = said;
        this.session = new PrimarySession(connections);
        this.commits = new CommitVisibility(source, clock);
        this.typeNames = new TypeNames(session, commits, DEFINE_PATIENCE);
        this.published = new PublishedShapes(session, commits, said);
    }

    /** Tables as the catalog has them now, for announcements: on the same session, as the stream said them. */
    PublishedShapes catalogNow() {
        return published;
    }

    /** Whether the stream said the shape's table with other columns (the shape read from the catalog now, ahead). */
    boolean aheadOfStream(TableShape shape) {
        return said.saidOtherwise(shape);
    }

    /** The transaction whose messages come next (its Relation messages are read against its catalog). */
    void decoding(long xid) {
        commits.decoding(xid);
    }

    /**
     * Records the shape a Relation message gives and returns it. A relation or type missing from
     * the catalog may be the decoded transaction's own, not visible yet ({@link CommitVisibility}):
     * the catalog is read again once the transaction is visible, or the shape is built without it.
     */
    TableShape define(Relation r) {
        return define(r, false);
    }

    /** {@code labelsRead}: enum labels from the catalog, not as the stream said them (a row used one it never said). */
    private TableShape define(Relation r, boolean labelsRead) {
        TableId table = new TableId(r.namespace(), r.name());
        if (r.columns().isEmpty()) {
            throw new IllegalStateException("a row of " + table + " was written while the table had no column pgoutput sends"
                    + " (every column dropped, or only generated ones): the stream cannot carry a row of no values (docs/capture.md,"
                    + " \"Schema changes\")");
        }
        ReplicaIdentity identity = TableShape.identity(r.replicaIdentity());
        try {
            Map<String, ColumnFacts> read = columns(r.oid());
            if (!describes(read, r) && commits.becameVisible(session.get(), DEFINE_PATIENCE)) {
                read = columns(r.oid());
            }
            // Still missing (dropped since, or the transaction not visible while its commit waits for
            // capture as the synchronous standby): such a column is taken as nullable. A table gone from the catalog
            // altogether keeps what this session knew of it — its drop follows on the stream, and a shape claiming
            // less would have the follower drop constraints it cannot (a primary key's NOT NULL) — and a key column
            // under DEFAULT or INDEX, which PostgreSQL keeps NOT NULL, stays so.
            // A table the stream never said, whose catalog no longer has a column the rows have, is read after later
            // DDL of it (a CREATE TABLE … AS read late, its column renamed since): the catalog's NOT NULLs, generated
            // expressions and parents may name what these rows predate. The Relation message alone describes them
            // then; the triggers' messages of that DDL bring the rest at their place.
            Map<String, ColumnFacts> catalog = !read.isEmpty() && !describes(read, r) && !said.has(table) && triggersCapture()
                    ? Map.of() : read;
            TableShape known = read.isEmpty() ? byOid.get(r.oid()) : null;
            List<Column> columns = new ArrayList<>(r.columns().size());
            List<String> key = new ArrayList<>();
            Map<String, List<String>> enumTypes = new HashMap<>();
            for (RelationColumn c : r.columns()) {
                TypeNames.TypeName type = typeNames.of(c.typeOid(), c.typeModifier());
                if (labelsRead) {
                    said.labels().read(type.enumType(), type.enumLabels());
                }
                if (!type.enumType().isEmpty()) {
                    enumTypes.put(c.name(), type.enumType());
                }
                ColumnFacts facts = catalog.get(c.name());
                Column before = known == null ? null : known.column(c.name());
                boolean nullable = facts != null ? facts.nullable()
                        : before != null ? before.nullable() : identity == ReplicaIdentity.FULL || !c.key();
                // Under FULL every column is flagged; the key is then the primary key, if any.
                boolean isKey = identity != ReplicaIdentity.FULL ? c.key()
                        : facts != null ? facts.primaryKey() : before != null && before.key();
                columns.add(new Column(c.name(), type.name(), nullable, isKey, type.enumLabels()));
                if (isKey) {
                    key.add(c.name());
                }
            }
            // Most tables have no generated column, no type of their own and no parent: two catalog reads
            // spared for every Relation message, which each SQL chunk of a catch-up sends again.
            boolean anyGenerated = catalog.values().stream().anyMatch(ColumnFacts::generated);
            boolean anyUserType = read.values().stream().anyMatch(ColumnFacts::ownType);
            boolean inherits = catalog.values().stream().anyMatch(ColumnFacts::inherits);
            DdlMessage definition = anyGenerated || inherits ? CatalogShapes.definition(session.get(), r.oid()) : null;
            TableShape shape = said.asSaid(new TableShape(table, columns, key, identity,
                    definition == null ? List.of() : definition.generated(),
                    anyUserType ? UserTypes.read(session.get(), r.oid()) : List.of(),
                    definition == null || definition.inherits() == null ? List.of() : definition.inherits(), Map.of(), enumTypes),
                    StreamDefinitions.keyFromCatalog(identity));
            byOid.put(r.oid(), shape);
            relations.put(r.oid(), r);
            return shape;
        } catch (SQLException e) {
            session.reset();
            throw new IllegalStateException("reading the types of " + table + " from the primary's catalog: " + e.getMessage(), e);
        }
    }

    /** The shape last defined for the relation; pgoutput always sends it before the relation's first change. */
    TableShape of(int relationOid) {
        if (labelsCarried != said.labels().changeCount()) {
            // pgoutput describes a relation again only when its own description changes, not when an enum it uses does
            // (nor, for a partition published as its root, when the root is renamed): a shape held from before carries
            // the labels the stream said since, so announcing it never takes a follower back to labels it left.
            labelsCarried = said.labels().changeCount();
            byOid.replaceAll((oid, shape) -> said.labels().asSaid(shape));
        }
        TableShape shape = byOid.get(relationOid);
        if (shape == null) {
            throw new IllegalStateException("pgoutput sent a change of relation " + relationOid + " before its Relation message");
        }
        return shape;
    }

    /** The row with its enum values named as their labels are named where the row's transaction commits ({@link LabelRenames}). */
    Map<String, Value> labelsNow(TableShape shape, Map<String, Value> row) {
        return said.labels().renames().named(shape, row);
    }

    /** Records the name pgoutput gives a type of its own before a Relation message that uses it. */
    void named(PgOutputMessage.Type t) {
        typeNames.named(t);
    }

    /**
     * The relation's shape made again, its types' names and enum labels too: {@code row} used an enum label the shape
     * did not have (added on the primary since) — as the stream said them since, or, for a label it never said
     * (without the DDL triggers nothing else says so), from the catalog.
     */
    TableShape reread(int relationOid, Map<String, Value> row) {
        typeNames.forget();
        // The triggers' messages may have said the label since the shape was made (pgoutput sends no Relation message
        // for an enum's change); only a label the stream never said is read from the catalog, which may be ahead.
        TableShape shape = define(relations.get(relationOid), false);
        return shape.unknownLabel(row) == null ? shape : define(relations.get(relationOid), true);
    }

    /** A DDL message passed: types are read from the catalog again at the next Relation message. */
    void typesChanged() {
        typeNames.forget();
    }

    /** The DDL triggers' message of a table: its columns as of its command, which later shapes of it carry. */
    void said(DdlMessage ddl) {
        said.said(ddl);
    }

    /** A shape exact as of its place on the stream (the snapshot's, a trigger's rows message's), which later shapes of it carry. */
    void said(TableShape shape) {
        said.said(shape);
    }

    /** A table whose creation the stream said but no follower was given (renamed since), or no longer so. */
    void unannounced(TableId table, boolean unseen) {
        said.unannounced(table, unseen);
    }

    /** Whether the table's creation was said but no follower given it (so held across restarts); it is not so any more. */
    boolean takeUnannounced(TableId table) {
        return said.takeUnannounced(table);
    }

    /** A table dropped on the primary: what the stream said of it goes with it. */
    void dropped(TableId table) {
        said.dropped(table);
    }

    /**
     * A DDL message renamed or moved the table {@code from} to {@code to}. pgoutput sends a partition's rows as its
     * root's under the Relation message it sent last for that partition, and renaming only the root sends no new one
     * (its cache entry is the partition's, which the rename does not touch): without this the rows went on under the
     * root's old name, which the follower no longer has.
     */
    void renamed(TableId from, TableId to) {
        said.renamed(from, to);
        byOid.replaceAll((oid, shape) -> shape.table().equals(from) ? shape.named(to) : shape);
        relations.replaceAll((oid, r) -> r.namespace().equals(from.schema()) && r.name().equals(from.table())
                ? new Relation(r.streamXid(), r.oid(), to.schema(), to.table(), r.replicaIdentity(), r.columns()) : r);
    }

    /** Every relation this session has seen dropped: after a reconnect pgoutput sends them again. */
    void forgetRelations() {
        byOid.clear();
        relations.clear();
    }

    /** Whether the DDL triggers capture DDL on the primary (asked only of a table read after later DDL of it). */
    private boolean triggersCapture() throws SQLException {
        try (PreparedStatement ps = session.get().prepareStatement(
                "SELECT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'sluice_ddl' AND evtenabled <> 'D')");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Whether the catalog's columns include every column the Relation message gives. */
    private static boolean describes(Map<String, ColumnFacts> catalog, Relation r) {
        for (RelationColumn c : r.columns()) {
            if (!catalog.containsKey(c.name())) {
                return false;
            }
        }
        return true;
    }

    /**
     * What the catalog says of a column: {@code ownType}, of a type not built in; {@code inherits}, of its table, that it
     * inherits from another (not as a partition).
     */
    private record ColumnFacts(boolean nullable, boolean primaryKey, boolean ownType, boolean generated, boolean inherits) { }

    /** Per column, generated ones too. */
    private Map<String, ColumnFacts> columns(int relationOid) throws SQLException {
        Map<String, ColumnFacts> out = new HashMap<>();
        try (PreparedStatement ps = session.get().prepareStatement(COLUMNS)) {
            ps.setInt(1, FIRST_NORMAL_OID);
            ps.setInt(2, relationOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), new ColumnFacts(rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
                            rs.getBoolean(6)));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        session.close();
    }
}
