package io.sluice.format;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One event of the replication stream. A source transaction is framed as {@link Begin}, then its
 * row, truncate, schema and message events, then {@link Commit}; {@link Heartbeat} and
 * non-transactional {@link Message}s stand alone. Events are immutable and thread-safe.
 */
public sealed interface ChangeEvent permits ChangeEvent.Begin, ChangeEvent.Insert, ChangeEvent.Update, ChangeEvent.Delete,
        ChangeEvent.Truncate, ChangeEvent.SchemaChange, ChangeEvent.Commit, ChangeEvent.Heartbeat, ChangeEvent.Message,
        CopyEvent {

    EventHeader header();

    /** The kind name used on the wire and in FORMAT.md. */
    String kind();

    /** The same event under another header (a decoder sets the epoch it read after the body). */
    ChangeEvent withHeader(EventHeader header);

    /** Start of a source transaction. */
    record Begin(EventHeader header) implements ChangeEvent {
        @Override
        public String kind() {
            return "begin";
        }

        @Override
        public Begin withHeader(EventHeader h) {
            return new Begin(h);
        }

        public Begin {
            Objects.requireNonNull(header, "header");
            requireXid(header, "begin");
        }
    }

    /**
     * A row inserted.
     *
     * @param key   names of the replica identity key columns (empty for a table without one)
     * @param after the new row, column name to value, in table order
     */
    record Insert(EventHeader header, TableId table, List<String> key, Map<String, Value> after)
            implements ChangeEvent {
        @Override
        public String kind() {
            return "insert";
        }

        @Override
        public Insert withHeader(EventHeader h) {
            return new Insert(h, table, key, after);
        }

        public Insert {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(table, "table");
            requireXid(header, "insert");
            key = List.copyOf(key);
            after = EventRow.of(after, "after", table);
            EventRow.requireNonEmpty(after, "after", table, "insert");
            EventRow.requireKeyIn(key, after, "after", table);
        }
    }

    /**
     * A row updated.
     *
     * @param before the old row where the source sent it (all columns under REPLICA IDENTITY
     *               FULL, the old key when the key changed), else empty
     * @param after  the new row; unchanged TOAST columns are {@link Value.Unchanged}
     */
    record Update(EventHeader header, TableId table, List<String> key, Map<String, Value> before,
                  Map<String, Value> after) implements ChangeEvent {
        @Override
        public String kind() {
            return "update";
        }

        @Override
        public Update withHeader(EventHeader h) {
            return new Update(h, table, key, before, after);
        }

        public Update {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(table, "table");
            requireXid(header, "update");
            key = List.copyOf(key);
            before = EventRow.of(before == null ? Map.of() : before, "before", table);
            after = EventRow.of(after, "after", table);
            EventRow.requireNonEmpty(after, "after", table, "update");
            EventRow.requireKeyIn(key, after, "after", table);
            if (!before.isEmpty()) {
                EventRow.requireKeyIn(key, before, "before", table);
            }
        }

        /** The row's identity before the update: the before image if sent, else the after image. */
        public Map<String, Value> identity() {
            return before.isEmpty() ? after : before;
        }
    }

    /**
     * A row deleted.
     *
     * @param before the old key columns (REPLICA IDENTITY DEFAULT) or the whole old row (FULL);
     *               never empty
     */
    record Delete(EventHeader header, TableId table, List<String> key, Map<String, Value> before)
            implements ChangeEvent {
        @Override
        public String kind() {
            return "delete";
        }

        @Override
        public Delete withHeader(EventHeader h) {
            return new Delete(h, table, key, before);
        }

        public Delete {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(table, "table");
            requireXid(header, "delete");
            key = List.copyOf(key);
            before = EventRow.of(before, "before", table);
            EventRow.requireNonEmpty(before, "before", table, "delete");
            EventRow.requireKeyIn(key, before, "before", table);
        }
    }

    /** Tables truncated in one statement. */
    record Truncate(EventHeader header, List<TableId> tables, boolean cascade, boolean restartIdentity)
            implements ChangeEvent {
        @Override
        public String kind() {
            return "truncate";
        }

        @Override
        public Truncate withHeader(EventHeader h) {
            return new Truncate(h, tables, cascade, restartIdentity);
        }

        public Truncate {
            Objects.requireNonNull(header, "header");
            requireXid(header, "truncate");
            tables = List.copyOf(tables);
            if (tables.isEmpty()) {
                throw new IllegalArgumentException("truncate names no table");
            }
        }
    }

    /**
     * A table's shape, sent before the first row of the table and again before the first row
     * after every change of its columns. It always lists every column, in table order.
     */
    record SchemaChange(EventHeader header, TableId table, List<Column> columns, ReplicaIdentity replicaIdentity)
            implements ChangeEvent {
        @Override
        public String kind() {
            return "schema";
        }

        @Override
        public SchemaChange withHeader(EventHeader h) {
            return new SchemaChange(h, table, columns, replicaIdentity);
        }

        public SchemaChange {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(replicaIdentity, "replicaIdentity");
            columns = List.copyOf(columns);
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("schema of " + table + " has no columns");
            }
            if (columns.stream().map(Column::name).distinct().count() != columns.size()) {
                throw new IllegalArgumentException("schema of " + table + " names a column twice");
            }
        }

        public List<String> keyColumns() {
            return columns.stream().filter(Column::key).map(Column::name).toList();
        }
    }

    /**
     * End of a source transaction: once a consumer has seen it, everything between BEGIN and
     * here is the whole transaction.
     *
     * @param eventCount the number of events between BEGIN and COMMIT
     */
    record Commit(EventHeader header, long eventCount) implements ChangeEvent {
        @Override
        public String kind() {
            return "commit";
        }

        @Override
        public Commit withHeader(EventHeader h) {
            return new Commit(h, eventCount);
        }

        public Commit {
            Objects.requireNonNull(header, "header");
            requireXid(header, "commit");
            if (eventCount < 0) {
                throw new IllegalArgumentException("commit eventCount must not be negative, was " + eventCount);
            }
        }
    }

    /** The source is alive and its stream has reached {@code header.commitLsn()}; outside transactions. */
    record Heartbeat(EventHeader header) implements ChangeEvent {
        @Override
        public String kind() {
            return "heartbeat";
        }

        @Override
        public Heartbeat withHeader(EventHeader h) {
            return new Heartbeat(h);
        }

        public Heartbeat {
            Objects.requireNonNull(header, "header");
        }
    }

    /**
     * A logical decoding message ({@code pg_logical_emit_message}). Transactional messages sit
     * inside their transaction's frame; others stand alone with xid 0.
     */
    record Message(EventHeader header, boolean transactional, String prefix, byte[] content)
            implements ChangeEvent {
        @Override
        public String kind() {
            return "message";
        }

        @Override
        public Message withHeader(EventHeader h) {
            return new Message(h, transactional, prefix, content);
        }

        public Message {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(prefix, "prefix");
            content = Objects.requireNonNull(content, "content").clone();
            if (transactional) {
                requireXid(header, "transactional message");
            }
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Message m && m.header.equals(header) && m.transactional == transactional
                    && m.prefix.equals(prefix) && Arrays.equals(m.content, content);
        }

        @Override
        public int hashCode() {
            return Objects.hash(header, transactional, prefix, Arrays.hashCode(content));
        }

        @Override
        public String toString() {
            return "Message[header=" + header + ", transactional=" + transactional + ", prefix=" + prefix
                    + ", content=" + Base64.getEncoder().encodeToString(content) + "]";
        }
    }

    /** PostgreSQL's REPLICA IDENTITY of a table: what a delete or update carries of the old row. */
    enum ReplicaIdentity { DEFAULT, FULL, INDEX, NOTHING }

    private static void requireXid(EventHeader header, String kind) {
        if (header.xid() == 0) {
            throw new IllegalArgumentException(kind + " event needs a transaction id, xid is 0");
        }
    }

    /**
     * Builds a row that an event takes without a copy: columns added in table order, each name
     * once (a source's own column list). For producers on a hot path; any {@code Map} works too.
     */
    final class RowBuilder {
        private EventRow row;

        public RowBuilder(int columns) {
            row = new EventRow(columns);
        }

        /** Adds a column not added before. */
        public RowBuilder add(String name, Value value) {
            row.append(Objects.requireNonNull(name, "column name"), Objects.requireNonNull(value, "value of " + name));
            return this;
        }

        /** The row; the builder is spent. */
        public Map<String, Value> build() {
            EventRow built = row;
            row = null;
            return built;
        }
    }
}
