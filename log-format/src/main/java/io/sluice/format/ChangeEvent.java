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
            after = row(after, "after", table);
            requireNonEmpty(after, "after", table, "insert");
            requireKeyIn(key, after, "after", table);
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
            before = row(before == null ? Map.of() : before, "before", table);
            after = row(after, "after", table);
            requireNonEmpty(after, "after", table, "update");
            requireKeyIn(key, after, "after", table);
            if (!before.isEmpty()) {
                requireKeyIn(key, before, "before", table);
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
            before = row(before, "before", table);
            requireNonEmpty(before, "before", table, "delete");
            requireKeyIn(key, before, "before", table);
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
        private DecodedRow row;

        public RowBuilder(int columns) {
            row = new DecodedRow(columns);
        }

        /** Adds a column not added before. */
        public RowBuilder add(String name, Value value) {
            row.append(Objects.requireNonNull(name, "column name"), Objects.requireNonNull(value, "value of " + name));
            return this;
        }

        /** The row; the builder is spent. */
        public Map<String, Value> build() {
            DecodedRow built = row;
            row = null;
            return built;
        }
    }

    /**
     * A row as an event holds it: no null names or values, and frozen — unchangeable — once the
     * event is made, so an event made from another event's row (or the codec's) takes it without a
     * copy (decoding is on the applier's hot path, re-stamping events on capture's).
     * Held as two arrays in column order — cheaper to build and to read than a hash map's nodes for
     * the few columns most rows have; names are compared by identity first (the decoder shares
     * them), and a row of many columns gets a hash index on its first lookup.
     */
    static final class DecodedRow extends java.util.AbstractMap<String, Value> {
        private static final int INDEX_FROM = 16;
        private String[] names;
        private Value[] values;
        private int size;
        private Map<String, Integer> index;
        private boolean frozen;

        DecodedRow() {
            this(8);
        }

        DecodedRow(int columns) {
            names = new String[Math.max(1, columns)];
            values = new Value[names.length];
        }

        /** Adds or replaces a column; returns the value it replaced, or null. */
        @Override
        public Value put(String name, Value value) {
            if (frozen) {
                throw new UnsupportedOperationException("an event's row does not change");
            }
            int i = indexOf(name);
            if (i >= 0) {
                Value old = values[i];
                values[i] = value;
                return old;
            }
            append(name, value);
            index = null;
            return null;
        }

        /** Adds a column known not to be there yet (copied from another map). */
        private void append(String name, Value value) {
            if (size == names.length) {
                names = Arrays.copyOf(names, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            names[size] = name;
            values[size] = value;
            size++;
        }

        private DecodedRow freeze() {
            frozen = true;
            return this;
        }

        private int indexOf(Object name) {
            for (int i = 0; i < size; i++) {
                if (names[i] == name) {
                    return i;
                }
            }
            if (size >= INDEX_FROM) {
                if (index == null) {
                    Map<String, Integer> built = new java.util.HashMap<>(size * 2);
                    for (int i = 0; i < size; i++) {
                        built.put(names[i], i);
                    }
                    index = built;
                }
                Integer i = index.get(name);
                return i == null ? -1 : i;
            }
            return scan(name);
        }

        /**
         * The column's position by its text, -1 if absent: a String's hash is cached, so most
         * columns are passed over without comparing their text.
         */
        private int scan(Object name) {
            int h = name.hashCode();
            for (int i = 0; i < size; i++) {
                if (names[i].hashCode() == h && names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }

        /** Adds a column as a reader decodes it; false, and nothing added, when the row already has it. */
        boolean addDecoded(String name, Value value) {
            if (scan(name) >= 0) {
                return false;
            }
            append(name, value);
            index = null;
            return true;
        }

        @Override
        public Value get(Object name) {
            int i = indexOf(name);
            return i < 0 ? null : values[i];
        }

        @Override
        public boolean containsKey(Object name) {
            return indexOf(name) >= 0;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void forEach(java.util.function.BiConsumer<? super String, ? super Value> action) {
            for (int i = 0; i < size; i++) {
                action.accept(names[i], values[i]);
            }
        }

        @Override
        public java.util.Set<String> keySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<String> iterator() {
                    return Arrays.asList(names).subList(0, size).iterator();
                }

                @Override
                public boolean contains(Object name) {
                    return indexOf(name) >= 0;
                }

                @Override
                public int size() {
                    return size;
                }

                @Override
                public Object[] toArray() {
                    return Arrays.copyOf(names, size, Object[].class);
                }
            };
        }

        @Override
        public java.util.Set<Map.Entry<String, Value>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<String, Value>> iterator() {
                    return new java.util.Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < size;
                        }

                        @Override
                        public Map.Entry<String, Value> next() {
                            if (next >= size) {
                                throw new java.util.NoSuchElementException();
                            }
                            int i = next++;
                            return new java.util.AbstractMap.SimpleImmutableEntry<>(names[i], values[i]);
                        }
                    };
                }

                @Override
                public int size() {
                    return size;
                }
            };
        }
    }

    private static Map<String, Value> row(Map<String, Value> values, String image, TableId table) {
        if (values instanceof DecodedRow decoded) {
            return decoded.freeze();
        }
        Objects.requireNonNull(values, image + " image of " + table);
        DecodedRow copy = new DecodedRow(values.size());
        values.forEach((name, value) -> copy.append(
                Objects.requireNonNull(name, "column name in " + image + " image of " + table),
                value == null ? Value.Null.INSTANCE : value));
        return copy.freeze();
    }

    private static void requireNonEmpty(Map<String, Value> values, String image, TableId table, String kind) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException(kind + " on " + table + " has an empty " + image + " image");
        }
    }

    private static void requireKeyIn(List<String> key, Map<String, Value> values, String image, TableId table) {
        for (String k : key) {
            if (!values.containsKey(k)) {
                throw new IllegalArgumentException("key column '" + k + "' of " + table + " is missing from the "
                        + image + " image");
            }
            if (values.get(k) instanceof Value.Unchanged) {
                throw new IllegalArgumentException("key column '" + k + "' of " + table + " is an unchanged TOAST marker in the "
                        + image + " image");
            }
        }
    }
}
