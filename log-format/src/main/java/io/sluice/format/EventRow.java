package io.sluice.format;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A row as an event holds it: no null names or values, and frozen — unchangeable — once the
 * event is made, so an event made from another event's row (or the codec's) takes it without a
 * copy (decoding is on the applier's hot path, re-stamping events on capture's).
 * Held as two arrays in column order — cheaper to build and to read than a hash map's nodes for
 * the few columns most rows have; names are compared by identity first (the decoder shares
 * them), and a row of many columns gets a hash index on its first lookup.
 */
final class EventRow extends java.util.AbstractMap<String, Value> {
    private static final int INDEX_FROM = 16;
    private String[] names;
    private Value[] values;
    private int size;
    private Map<String, Integer> index;
    private boolean frozen;

    EventRow() {
        this(8);
    }

    EventRow(int columns) {
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
    void append(String name, Value value) {
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size] = value;
        size++;
    }

    EventRow freeze() {
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

    /** The row an event keeps: frozen as it is when it is an {@code EventRow}, a frozen copy otherwise (a null value read as NULL). */
    static Map<String, Value> of(Map<String, Value> values, String image, TableId table) {
        if (values instanceof EventRow decoded) {
            return decoded.freeze();
        }
        Objects.requireNonNull(values, image + " image of " + table);
        EventRow copy = new EventRow(values.size());
        values.forEach((name, value) -> copy.append(
                Objects.requireNonNull(name, "column name in " + image + " image of " + table),
                value == null ? Value.Null.INSTANCE : value));
        return copy.freeze();
    }

    static void requireNonEmpty(Map<String, Value> values, String image, TableId table, String kind) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException(kind + " on " + table + " has an empty " + image + " image");
        }
    }

    static void requireKeyIn(List<String> key, Map<String, Value> values, String image, TableId table) {
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
