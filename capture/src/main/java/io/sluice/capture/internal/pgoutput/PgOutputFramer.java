package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.AttachedRows;
import io.sluice.capture.internal.DdlTrigger;
import io.sluice.capture.internal.FrameWriter;
import io.sluice.capture.internal.MessageGate;
import io.sluice.format.ChangeEvent;
import io.sluice.format.DdlMessage;
import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import io.sluice.format.TableDrop;
import io.sluice.format.TableId;
import io.sluice.format.TypeDefinition;
import io.sluice.format.Value;
import io.sluice.format.follower.Watermark;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns decoded pgoutput messages into the stream's events: a transaction into a frame, a
 * Relation into a schema event before the table's next change when its shape is new to this
 * capture or changed, a row change into its event ({@link TupleRows}: every value in the server's
 * own text form, exact by construction), the logical messages {@link MessageGate} lets pass into
 * messages — the DDL triggers' rows into copy events ({@link TriggerRows}); what it announced, {@link AnnouncedTables}.
 * Not thread-safe: the engine's thread.
 */
final class PgOutputFramer {

    private final FrameWriter frames;
    private final RelationShapes shapes;
    private final DefinitionsOnStream definitions;
    private final String publication;
    private final Clock clock;
    private final MessageGate gate;
    private final AnnouncedTables announced;
    private final TriggerRows rows;
    /** Per relation, the enum labels a row carried that its shape lacked and the catalog was read again for. */
    private final Map<Integer, Set<String>> unresolved = new HashMap<>();

    PgOutputFramer(FrameWriter frames, RelationShapes shapes, DefinitionsOnStream definitions, String publication, Clock clock,
                   MessageGate gate) {
        this.frames = frames;
        this.shapes = shapes;
        this.definitions = definitions;
        this.publication = publication;
        this.clock = clock;
        this.gate = gate;
        // A parent the stream said with other columns than the catalog has now is not announced from the catalog: the
        // follower has it from the stream's own messages, and columns added since would reach its children early.
        this.announced = new AnnouncedTables(frames, table -> shapes.catalogNow().published(publication, table)
                .filter(shape -> !shapes.aheadOfStream(shape)));
        this.rows = new TriggerRows(frames, shapes, publication, announced);
    }

    /**
     * Handles one message.
     *
     * @return the position the stream reaches with it — a commit's or a heartbeat's LSN — once it
     *         is on Kafka, else null
     */
    Lsn handle(PgOutputMessage message) {
        if (message instanceof PgOutputMessage.Begin b) {
            shapes.decoding(b.xid());
            frames.open(b.xid(), b.commitTime());
            rows.newFrame();
        } else if (message instanceof PgOutputMessage.Commit c) {
            return close(c.endLsn());
        } else if (message instanceof PgOutputMessage.Relation r) {
            // Announced with the table's first change, not here: publishing via a partitioned table's
            // root, pgoutput describes the root and the partition, and only the root carries rows.
            shapes.define(r);
        } else if (message instanceof PgOutputMessage.Type t) {
            shapes.named(t); // a type of its own, named as of the change: used only when the catalog lacks it
        } else if (bookkeeping(message)) {
            return null; // Sluice's own tables (a promoted follower's or a leader's applier bookkeeping) never go out
        } else if (message instanceof PgOutputMessage.Insert i) {
            TableShape s = changed(i.relationOid());
            Map<String, Value> after = shapes.labelsNow(s, TupleRows.row(s, i.row(), false));
            s = withLabelsOf(s, i.relationOid(), after);
            frames.add(new ChangeEvent.Insert(frames.next(), s.table(), s.key(), after));
        } else if (message instanceof PgOutputMessage.Update u) {
            TableShape s = changed(u.relationOid());
            Map<String, Value> before = shapes.labelsNow(s, u.oldRow() != null ? TupleRows.row(s, u.oldRow(), false)
                    : u.oldKey() != null ? TupleRows.row(s, u.oldKey(), true) : Map.of());
            Map<String, Value> after = shapes.labelsNow(s, TupleRows.row(s, u.row(), false));
            s = withLabelsOf(s, u.relationOid(), after);
            frames.add(new ChangeEvent.Update(frames.next(), s.table(), s.key(), before, after));
        } else if (message instanceof PgOutputMessage.Delete d) {
            TableShape s = changed(d.relationOid());
            Map<String, Value> before = shapes.labelsNow(s, d.oldRow() != null ? TupleRows.row(s, d.oldRow(), false)
                    : TupleRows.row(s, d.oldKey(), true));
            frames.add(new ChangeEvent.Delete(frames.next(), s.table(), s.key(), before));
        } else if (message instanceof PgOutputMessage.Truncate t) {
            List<TableId> tables = new ArrayList<>(t.relationOids().size());
            t.relationOids().stream().filter(oid -> !bookkeeping(oid)).forEach(oid -> tables.add(changed(oid).table()));
            if (tables.isEmpty()) {
                return null;
            }
            frames.add(new ChangeEvent.Truncate(frames.next(), tables, t.cascade(), t.restartIdentity()));
        } else if (message instanceof PgOutputMessage.LogicalMessage m) {
            return message(m);
        } else if (message instanceof PgOutputMessage.StreamStart || message instanceof PgOutputMessage.StreamStop
                || message instanceof PgOutputMessage.StreamCommit || message instanceof PgOutputMessage.StreamAbort) {
            throw new IllegalStateException("a streamed transaction's " + message.getClass().getSimpleName()
                    + " reached the framer; StreamedTransactions holds those");
        }
        // Origin: one origin per source for now.
        return null;
    }

    /**
     * Frames a streamed transaction at its commit: its held messages, in order, as one frame that
     * goes to the stream as it is built (its commit LSN is known now).
     *
     * @return the position the stream reaches with it
     */
    Lsn commitStreamed(PgOutputMessage.StreamCommit commit, StreamedTransactions streamed) {
        shapes.decoding(commit.xid());
        frames.openCommitted(commit.xid(), commit.commitTime(), commit.endLsn());
        rows.newFrame();
        streamed.replay(commit, this::handle);
        return close(commit.endLsn());
    }

    /** Closes the open frame — what it changed of the stream's definitions last — and returns its commit's position. */
    private Lsn close(Lsn commitLsn) {
        definitions.intoFrame(frames);
        long events = frames.events();
        frames.close(commitLsn);
        definitions.afterFrame(frames, commitLsn, events);
        return commitLsn;
    }

    /**
     * The relation's shape, announced first with a schema event in the open frame when the
     * table's shape is new to this capture or differs from the last one announced.
     */
    private boolean bookkeeping(PgOutputMessage m) {
        int oid = m instanceof PgOutputMessage.Insert i ? i.relationOid() : m instanceof PgOutputMessage.Update u ? u.relationOid()
                : m instanceof PgOutputMessage.Delete d ? d.relationOid() : -1;
        return oid != -1 && bookkeeping(oid);
    }

    /** Whether the relation is in schema {@code sluice}: FOR ALL TABLES publishes an applier's bookkeeping too. */
    private boolean bookkeeping(int relationOid) {
        return Watermark.SCHEMA.equals(shapes.of(relationOid).table().schema());
    }

    /**
     * The shape, read again and announced first when the row uses an enum label the shape lacks —
     * once per label: one the catalog no longer has either (renamed since the row was written)
     * does not make every row of a backlog read the catalog.
     */
    private TableShape withLabelsOf(TableShape shape, int relationOid, Map<String, Value> row) {
        String label = shape.unknownLabel(row);
        if (label == null || !unresolved.computeIfAbsent(relationOid, k -> new HashSet<>()).add(label)) {
            return shape;
        }
        shapes.reread(relationOid, row);
        return changed(relationOid);
    }

    private TableShape changed(int relationOid) {
        return announced.ifChanged(shapes.of(relationOid));
    }

    /**
     * A CREATE TABLE's DDL message (the event trigger's) of a table this capture publishes and has
     * not announced: announced now, so a table created empty reaches the followers at its creation
     * rather than with its first row — from the catalog while it still has the columns the message
     * gives, else (changed since: capture read the creation late) as the message gives it. A table
     * the catalog no longer has by that name (renamed since) is announced at its rename's message,
     * under the name that gives, when the catalog publishes it by that one.
     *
     * @return whether it announced the table (with the types it uses)
     */
    private boolean announceUnseen(DdlMessage ddl, byte[] content) {
        // Tables a CREATE message did not announce — renamed since, or not published by this capture's publication — are
        // held with what the stream said (so a capture started before their rename's message knows them): that message
        // announces them.
        boolean renamedUnseen = ddl.renamedFrom() != null && shapes.takeUnannounced(ddl.renamedFrom());
        if (!ddl.created() && !renamedUnseen || ddl.columns().isEmpty() || announced.has(ddl.table())) {
            return false; // an ALTER's columns, defaults and values for existing rows are the message's to apply
        }
        Optional<TableShape> shape = shapes.catalogNow().published(publication, ddl.table())
                .flatMap(s -> s.hasColumnsOf(ddl) ? Optional.of(s) : TableShape.created(ddl));
        if (shape.isEmpty()) {
            shapes.unannounced(ddl.table(), true);
        } else if (ddl.fromTrigger() && !ddl.types().isEmpty()) {
            // The message first as well: a follower takes its types as of its place — changes the stream never said (no
            // table used the type then: an enum's label renamed, a composite's attribute added) among them — before the
            // announcement, whose types, read from the catalog now, may be ahead of the stream (an attribute dropped
            // since), and which only creates a type a follower lacks and adds labels (a renamed one beside its old
            // name). Without the table yet, the follower takes only the types from it; the copy after the
            // announcement gives the rest.
            frames.add(new ChangeEvent.Message(frames.next(), true, DdlMessage.PREFIX, content));
        }
        shape.ifPresent(announced::announce);
        return shape.isPresent();
    }

    private Lsn message(PgOutputMessage.LogicalMessage m) {
        byte[] content = gate.admit(m.prefix(), m.lsn(), m.content());
        if (content == null) {
            return null; // on no stream: the slot confirmed at it would be past the stream's end, and a restart refused
        }
        if (m.transactional() && m.prefix().equals(DdlTrigger.ROWS_PREFIX)) {
            rows.add(AttachedRows.parse(content));
            return null;
        }
        if (m.prefix().equals(TableDrop.PREFIX)) {
            TableId dropped = TableDrop.parse(content).table();
            announced.forget(dropped);
            shapes.dropped(dropped);
        }
        if (m.transactional()) {
            if (m.prefix().equals(DdlMessage.PREFIX)) {
                DdlMessage ddl = parsed(content);
                if (ddl != null && Watermark.SCHEMA.equals(ddl.table().schema())) {
                    return null; // an applier's Flyway migration of its bookkeeping on this primary
                }
                List<String> published = ddl == null ? null : ddl.columnLists().get(publication);
                if (published != null) {
                    // The publication's column list as the trigger saw it: a follower holds those columns only.
                    ddl = ddl.onlyColumns(published);
                    content = ddl.toJson();
                }
                if (ddl != null) {
                    shapes.typesChanged();
                    if (ddl.renamedFrom() != null) {
                        shapes.renamed(ddl.renamedFrom(), ddl.table());
                    }
                    if (ddl.fromTrigger()) {
                        shapes.said(ddl);
                    }
                }
                if (ddl != null && ddl.inherits() != null) {
                    announced.parentsFirst(ddl.inherits()); // the follower links the table to the parents it has
                }
                if (ddl != null && !announceUnseen(ddl, content) && ddl.types().isEmpty() && !saysTypes(ddl)) {
                    typesBefore(ddl);
                }
            }
            frames.add(new ChangeEvent.Message(frames.next(), true, m.prefix(), content));
            return null;
        }
        frames.standalone(m.lsn(), clock.instant(), m.prefix(), content);
        return m.lsn();
    }

    /** The DDL message, or null when it does not parse (passed on as it is; the applier refuses it, naming where). */
    private static DdlMessage parsed(byte[] content) {
        try {
            return DdlMessage.parse(content);
        } catch (FormatException e) {
            return null;
        }
    }

    /**
     * An ALTER TABLE's message may give a column a domain or composite type the follower has never
     * seen. The trigger's message carries their definitions, read inside the ALTER's own
     * transaction; a message of a trigger installed by an older ddl-capture.sql, which says none,
     * gets them from the catalog now (enums' labels as the stream said them), in a message of their own
     * before it. Only the trigger's own are exact: the ALTER is decoded once its commit record is
     * flushed, and capture's session may not see the commit yet (nor ever, while the ALTER's commit
     * waits for capture as a synchronous standby).
     */
    private void typesBefore(DdlMessage ddl) {
        List<TypeDefinition> types = shapes.catalogNow().userTypes(ddl.table());
        if (!types.isEmpty()) {
            frames.add(new ChangeEvent.Message(frames.next(), true, DdlMessage.PREFIX,
                    DdlMessage.typesOnly(ddl.table(), types).toJson()));
        }
    }

    /**
     * Whether the message is a trigger's that says the types its table uses, even none: a script that says columns' key
     * membership says types too. The catalog read instead may be far ahead — an enum column added since, its labels
     * renamed since — and a follower given labels ahead adds them beside the ones the stream renames later.
     */
    private static boolean saysTypes(DdlMessage ddl) {
        return ddl.fromTrigger() && ddl.columns().stream().anyMatch(c -> c.key() != null);
    }
}
