package io.sluice.capture.internal.pgoutput;

import io.sluice.capture.internal.AttachedRows;
import io.sluice.capture.internal.FrameWriter;
import io.sluice.capture.internal.MessageGate;
import io.sluice.format.ChangeEvent;
import io.sluice.format.CopyEvent;
import io.sluice.format.TableId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The DDL triggers' rows messages — rows no row change carried: a table's a publication took in, a partition's
 * attached holding them, a table's rewritten with values no follower can compute — as copy events of the table
 * capture's publication publishes them as (the table, or its partitioned table), announced first if need be
 * ({@link MessageGate} passes only the rows for capture's publication, or for any). A message says which table each
 * publication publishes the rows as and the shapes those tables had when the triggers wrote it, inside the DDL's
 * transaction: the catalog, which capture reads later, may have moved on. Not thread-safe: the engine's thread.
 */
final class TriggerRows {

    private final FrameWriter frames;
    private final RelationShapes shapes;
    private final String publication;
    private final AnnouncedTables announced;
    /** The tables whose rows this frame replaced (a table a publication took in: all it holds). */
    private final Set<TableId> replaced = new HashSet<>();

    TriggerRows(FrameWriter frames, RelationShapes shapes, String publication, AnnouncedTables announced) {
        this.frames = frames;
        this.shapes = shapes;
        this.publication = publication;
        this.announced = announced;
    }

    /** A new frame: no table's rows replaced in it yet. */
    void newFrame() {
        replaced.clear();
    }

    /** Writes the message's rows into the open frame (nothing when capture's publication does not get them). */
    void add(AttachedRows.Rows rows) {
        if (rows.publication() == null && rows.except().contains(publication)) {
            return; // capture's publication filters these rows: the triggers wrote those it passes in a message of its own
        }
        TableId table = rows.as() != null ? publishedAs(rows) : anyPublications(rows);
        if (table == null) {
            return;
        }
        if (rows.publication() != null && !rows.joined() && (replaced.add(table) || rows.truncateOnly())) {
            // The publication took the table in: these rows are all it holds, whatever a follower kept from
            // when a publication published it before (ALTER PUBLICATION … DROP TABLE, then ADD TABLE). Emptied before a
            // DDL message: so too when rows of it came earlier in the frame (a partition detached, then rewritten).
            frames.add(new ChangeEvent.Truncate(frames.next(), List.of(table), false, false));
        }
        if (rows.count() > 0) {
            frames.add(CopyEvent.of(frames.next(), table, rows.key(), rows.columns(), rows.count(), rows.text()));
        }
    }

    /** Rows written for capture's publication, as the table it publishes them as; null when it has none to describe. */
    private TableId publishedAs(AttachedRows.Rows rows) {
        TableId as = rows.as();
        TableShape known = announced.last(as);
        if (rows.truncateOnly() || replaced.contains(as)) {
            // Emptied before a DDL message (or already in this frame, then defined by that message): a follower holds it.
            return as;
        }
        if (rows.shapes().containsKey(as)) {
            TableShape then = CatalogShapes.parse(rows.shapes().get(as)).publishedAs(rows.columns());
            shapes.said(then);
            if (!then.equals(known)) {
                announced.announce(then);
            }
            return as;
        }
        // An older script's message: the catalog describes the table — again if announced without columns the rows
        // have (its publication's column list grew).
        boolean fits = known != null && known.columnNames().containsAll(rows.columns());
        return fits || shapes.catalogNow().described(publication, as, rows.columns()).map(announced::announce).isPresent() ? as : null;
    }

    /**
     * Any publication's rows, as the table capture's publication publishes them as (the message names it, and its shape
     * then); null when they are not for it.
     */
    private TableId anyPublications(AttachedRows.Rows rows) {
        if (rows.targets() == null) {
            return catalogTarget(rows);
        }
        TableId target = rows.targets().get(publication);
        if (target == null || announced.has(target)) {
            return target;
        }
        byte[] then = rows.shapes().get(target);
        if (then != null) {
            TableShape shape = CatalogShapes.parse(then);
            shapes.said(shape);
            announced.announce(shape);
            return target;
        }
        return shapes.catalogNow().published(publication, target).map(announced::announce).isPresent() ? target : null;
    }

    /** An older script's message of any publication's rows: the table or its root, whichever the catalog says capture's publication publishes. */
    private TableId catalogTarget(AttachedRows.Rows rows) {
        for (TableId t : List.of(rows.table(), rows.root())) {
            if (announced.has(t) || shapes.catalogNow().published(publication, t).map(announced::announce).isPresent()) {
                return t;
            }
        }
        return null;
    }
}
