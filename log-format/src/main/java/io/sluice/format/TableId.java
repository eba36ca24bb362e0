package io.sluice.format;

import java.util.Objects;

/**
 * A table's name on the source: schema and table, each as PostgreSQL stores it (case-sensitive,
 * unquoted). Immutable and thread-safe.
 */
public record TableId(String schema, String table) {

    public TableId {
        requireName(schema, "schema");
        requireName(table, "table");
    }

    // Written out rather than generated: a record's generated equals and hashCode go through method
    // handles, which the JIT inlines as a tree of forms in every hot caller (TableId keys the
    // applier's and capture's per-table maps).
    @Override
    public boolean equals(Object o) {
        return o instanceof TableId t && schema.equals(t.schema) && table.equals(t.table);
    }

    @Override
    public int hashCode() {
        return 31 * schema.hashCode() + table.hashCode();
    }

    private static void requireName(String name, String what) {
        Objects.requireNonNull(name, what + " name is null");
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " name is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " name contains a NUL character: " + name);
        }
    }

    /**
     * Parses {@code schema.table}; a name without a dot is in schema {@code public}. Only the first
     * dot separates schema from table.
     */
    public static TableId parse(String text) {
        Objects.requireNonNull(text, "table name is null");
        int dot = text.indexOf('.');
        if (dot < 0) {
            return new TableId("public", text);
        }
        if (dot == 0 || dot == text.length() - 1) {
            throw new IllegalArgumentException("malformed table name '" + text + "': expected schema.table");
        }
        return new TableId(text.substring(0, dot), text.substring(dot + 1));
    }

    /** The name quoted for SQL: {@code "schema"."table"}. */
    public String quoted() {
        return quote(schema) + "." + quote(table);
    }

    /** Quotes one identifier for SQL, doubling embedded double quotes. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return schema + "." + table;
    }
}
