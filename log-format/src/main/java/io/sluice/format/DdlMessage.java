package io.sluice.format;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A table's definition right after an {@code ALTER TABLE} on the source (or an {@code ALTER TYPE} /
 * {@code ALTER DOMAIN} of a type it uses), as capture's event trigger writes it: a transactional
 * {@link ChangeEvent.Message} with prefix {@link #PREFIX} inside the ALTER's own frame (FORMAT.md,
 * *DDL messages*). It tells a consumer at the exact
 * position what the rows alone cannot: the value that rows existing before an {@code ADD COLUMN}
 * have in it, a column dropped before the table's next write, and whether the source rewrote
 * the table with values the consumer cannot compute (a volatile default).
 *
 * @param table           the table altered
 * @param columns         its columns after the ALTER, in table order (generated columns left out)
 * @param generated       its generated columns, in table order, with the expressions that compute them
 * @param types           the types its columns use that are not built in — domains, composite types, ranges,
 *                        enums, extensions' types — each after the types it depends on (a message may carry
 *                        only these, and no columns)
 * @param volatileRewrite the source rewrote every row with a default computed per row
 * @param usingExpression the source rewrote a column to a new type with an expression of its own
 *                        ({@code ALTER COLUMN … TYPE … USING}), not the type's cast
 * @param renamedColumns  the new names of columns the ALTER renamed; a column's {@code renamedFrom} says what it was
 *                        called, where the trigger knew
 * @param renamedFrom     the table's name before the ALTER, when it renamed the table or moved it to
 *                        another schema; null otherwise (or when the trigger had not seen the table yet)
 * @param created         the message is a {@code CREATE TABLE}'s (of a table a publication already has),
 *                        not an ALTER's
 * @param fromTrigger     the event trigger wrote it inside the DDL's own transaction, so its definitions
 *                        are those at its place in the stream; capture's own messages are read from the
 *                        catalog when capture announces a table, and may be ahead of the rows around them
 * @param partitionsGone  partitions of this partitioned table that left it with their rows since the
 *                        trigger last looked (dropped or detached): its rows on the source are fewer by theirs,
 *                        though no row change says so
 * @param rowsFollow      the values a volatile rewrite or a USING conversion gave follow in the same frame: a copy of the
 *                        table's rows as the ALTER left them, after a truncate of the table before this message
 * @param columnLists     the columns each publication with a column list on the table publishes, by publication, as the
 *                        trigger saw them (capture shows its follower only its publication's: {@link #onlyColumns})
 * @param inherits        the tables this one inherits from ({@code INHERITS}, {@code ALTER TABLE … INHERIT}; a partition's
 *                        table is not among them), in the order the source keeps them; null when the message does not say
 */
public record DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                         boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                         boolean created, boolean fromTrigger, List<GonePartition> partitionsGone, boolean rowsFollow,
                         Map<String, List<String>> columnLists, List<TableId> inherits) {

    /** A message that does not say what the table inherits from. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                      boolean created, boolean fromTrigger, List<GonePartition> partitionsGone, boolean rowsFollow,
                      Map<String, List<String>> columnLists) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, created, fromTrigger,
                partitionsGone, rowsFollow, columnLists, null);
    }

    /** A message without column lists. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                      boolean created, boolean fromTrigger, List<GonePartition> partitionsGone, boolean rowsFollow) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, created, fromTrigger,
                partitionsGone, rowsFollow, Map.of());
    }

    /** A message after which no rows follow. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                      boolean created, boolean fromTrigger, List<GonePartition> partitionsGone) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, created, fromTrigger,
                partitionsGone, false);
    }

    /** A message that moves no partition. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                      boolean created, boolean fromTrigger) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, created, fromTrigger,
                List.of());
    }

    /**
     * A partition that left the table with its rows.
     *
     * @param rows     the rows it held, as its partition constraint ({@code pg_get_partition_constraintdef}), or null
     *                 when they cannot be told by their values (a hash partition's constraint names its parent by oid)
     * @param collated the constraint tells the rows otherwise than by their values' bytes (a range over text of a
     *                 collation that does not sort by bytes, a nondeterministic collation, an extension's operator
     *                 class): only a follower that compares as the source does can tell them
     */
    public record GonePartition(TableId table, String rows, boolean collated) {

        /** A partition whose rows its values' bytes tell. */
        public GonePartition(TableId table, String rows) {
            this(table, rows, false);
        }
    }

    /** A message capture wrote, not the trigger. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom,
                      boolean created) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, created, false);
    }

    /** The message prefix capture's event trigger writes. */
    public static final String PREFIX = "sluice.ddl";

    /** A message that does not rename the table. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, null, false, false);
    }

    /** An ALTER's message. */
    public DdlMessage(TableId table, List<DdlColumn> columns, List<Generated> generated, List<TypeDefinition> types,
                      boolean volatileRewrite, boolean usingExpression, List<String> renamedColumns, TableId renamedFrom) {
        this(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom, false, false);
    }

    public DdlMessage {
        if (table.equals(renamedFrom)) {
            renamedFrom = null;
        }
        columns = List.copyOf(columns);
        generated = List.copyOf(generated);
        types = List.copyOf(types);
        renamedColumns = List.copyOf(renamedColumns);
        partitionsGone = List.copyOf(partitionsGone);
        columnLists = Map.copyOf(columnLists);
        inherits = inherits == null ? null : List.copyOf(inherits);
    }

    /** This message, saying that the table inherits from {@code parents} (none: empty). */
    public DdlMessage withInherits(List<TableId> parents) {
        return new DdlMessage(table, columns, generated, types, volatileRewrite, usingExpression, renamedColumns, renamedFrom,
                created, fromTrigger, partitionsGone, rowsFollow, columnLists, parents);
    }

    /**
     * The message as a consumer of only the columns {@code published} names sees it (a publication's column
     * list): the other columns, generated ones and renames among them left out, and no column lists.
     */
    public DdlMessage onlyColumns(java.util.Collection<String> published) {
        return new DdlMessage(table, columns.stream().filter(c -> published.contains(c.name())).toList(),
                generated.stream().filter(g -> published.contains(g.name()))
                        .map(g -> g.place() == null ? g : g.at((int) columns.subList(0, Math.min(g.place(), columns.size())).stream()
                                .filter(c -> published.contains(c.name())).count()))
                        .toList(), types, volatileRewrite, usingExpression,
                renamedColumns.stream().filter(published::contains).toList(), renamedFrom, created, fromTrigger, partitionsGone,
                rowsFollow, Map.of(), inherits);
    }

    /** A message that carries only the definitions of types a table's columns use. */
    public static DdlMessage typesOnly(TableId table, List<TypeDefinition> types) {
        return new DdlMessage(table, List.of(), List.of(), types, false, false, List.of());
    }

    /**
     * One column after the ALTER.
     *
     * @param missing     the value rows written before the column was added have in it (PostgreSQL's
     *                    {@code attmissingval}, as its text), or null when there is none
     * @param hasDefault  the column has a default (a message without the field: assumed so)
     * @param renamedFrom the column's name before the DDL renamed it (the same column, values and all), or null
     * @param defaultExpression the column's default as {@code pg_get_expr} prints it, or null: none, an identity's,
     *                    or not said (a message without the field)
     * @param collation   the column's collation, {@code [schema, name]}, where it is not its type's; empty: the type's,
     *                    or not said
     * @param key         whether the column is in the table's key (the schema event's rule), or null: not said
     */
    public record DdlColumn(String name, String type, boolean nullable, String missing, boolean hasDefault, String renamedFrom,
                            String defaultExpression, List<String> collation, Boolean key) {

        /** A column the DDL did not rename. */
        public DdlColumn(String name, String type, boolean nullable, String missing, boolean hasDefault) {
            this(name, type, nullable, missing, hasDefault, null, null, List.of());
        }

        /** A column whose default and collation the message does not say. */
        public DdlColumn(String name, String type, boolean nullable, String missing, boolean hasDefault, String renamedFrom) {
            this(name, type, nullable, missing, hasDefault, renamedFrom, null, List.of());
        }

        /** A column whose key membership the message does not say. */
        public DdlColumn(String name, String type, boolean nullable, String missing, boolean hasDefault, String renamedFrom,
                         String defaultExpression, List<String> collation) {
            this(name, type, nullable, missing, hasDefault, renamedFrom, defaultExpression, collation, null);
        }

        public DdlColumn {
            if (name.equals(renamedFrom)) {
                renamedFrom = null;
            }
            collation = collation == null ? List.of() : List.copyOf(collation);
        }
    }

    /**
     * A generated column: its values are not in the rows (pgoutput sends none before PostgreSQL
     * 18), a follower computes them from the expression.
     *
     * @param expression  the generation expression as {@code pg_get_expr} prints it
     * @param stored      {@code GENERATED ALWAYS AS (…) STORED}; false for a virtual one (PostgreSQL 18)
     * @param renamedFrom the column's name before the DDL renamed it, or null
     * @param place       how many of the message's {@code columns} come before it in table order, or null: not said
     *                    (after them all)
     */
    public record Generated(String name, String type, boolean nullable, String expression, boolean stored, String renamedFrom,
                            Integer place) {

        /** A generated column the DDL did not rename. */
        public Generated(String name, String type, boolean nullable, String expression, boolean stored) {
            this(name, type, nullable, expression, stored, null);
        }

        /** A generated column whose place among the columns is not said. */
        public Generated(String name, String type, boolean nullable, String expression, boolean stored, String renamedFrom) {
            this(name, type, nullable, expression, stored, renamedFrom, null);
        }

        public Generated {
            if (name.equals(renamedFrom)) {
                renamedFrom = null;
            }
            if (place != null && place < 0) {
                throw new IllegalArgumentException("generated column " + name + " has a negative place " + place);
            }
        }

        /** The column at {@code place} among a consumer's columns. */
        Generated at(Integer place) {
            return new Generated(name, type, nullable, expression, stored, renamedFrom, place);
        }
    }

    /**
     * The columns the DDL renamed whose old names it carries, new name to old, in table order (plain
     * columns, then generated ones).
     */
    public Map<String, String> columnRenames() {
        Map<String, String> out = new LinkedHashMap<>();
        columns.stream().filter(c -> c.renamedFrom() != null).forEach(c -> out.put(c.name(), c.renamedFrom()));
        generated.stream().filter(c -> c.renamedFrom() != null).forEach(c -> out.put(c.name(), c.renamedFrom()));
        return out;
    }

    /** Parses a message's content; a malformed one is a {@link FormatException} saying what is wrong. */
    public static DdlMessage parse(byte[] content) {
        return DdlJson.parse(content);
    }

    /**
     * A {@code types} array on its own (the JSON of a message's {@code types} field): what capture
     * reads from the primary's catalog for a table it announces.
     */
    public static List<TypeDefinition> parseTypes(byte[] json) {
        return DdlJson.types(json);
    }

    /** The message's content, as {@link #parse} reads it (capture writes it for a table it announces). */
    public byte[] toJson() {
        return DdlJsonWriter.write(this);
    }
}
