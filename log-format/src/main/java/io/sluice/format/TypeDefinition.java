package io.sluice.format;

import java.util.List;

/**
 * A domain, a composite, a range or an enum type a column uses (an enum is described here when
 * a domain, a composite or a range uses it; a column of an enum type carries its labels in the
 * schema event), or a type an extension made (kind {@code extension}: made on a follower by
 * creating the extension, never by itself).
 *
 * @param kind       {@code domain}, {@code composite}, {@code range}, {@code enum} or {@code extension}
 * @param base       a domain's base type or a range's subtype, as {@code format_type} prints it (null
 *                   for a composite)
 * @param notNull    a domain's NOT NULL
 * @param checks     a domain's CHECK constraints as {@code pg_get_constraintdef} prints them
 * @param attributes a composite's attributes: name and type, in order
 * @param labels     an enum's labels, in their order
 * @param range      a range's collation, operator class and multirange name; null for the other kinds
 * @param extension  the name of the extension whose member the type is; null unless kind {@code extension}
 * @param renamedFrom the type's {@code [schema, name]} before the DDL whose trigger message this is renamed
 *                   or moved it; empty otherwise (and always in capture's own messages)
 */
public record TypeDefinition(String schema, String name, String kind, String base, boolean notNull,
                             List<String> checks, List<Attribute> attributes, List<String> labels, RangeParts range,
                             String extension, List<String> renamedFrom) {

    /** A domain, a composite, a range or an enum. */
    public TypeDefinition(String schema, String name, String kind, String base, boolean notNull,
                          List<String> checks, List<Attribute> attributes, List<String> labels, RangeParts range) {
        this(schema, name, kind, base, notNull, checks, attributes, labels, range, null, List.of());
    }

    /** A type made by extension {@code extension}. */
    public static TypeDefinition ofExtension(String schema, String name, String extension) {
        return new TypeDefinition(schema, name, "extension", null, false, List.of(), List.of(), List.of(), null, extension,
                List.of());
    }

    /** A domain or a composite type (no labels). */
    public TypeDefinition(String schema, String name, String kind, String base, boolean notNull,
                          List<String> checks, List<Attribute> attributes) {
        this(schema, name, kind, base, notNull, checks, attributes, List.of(), null, null, List.of());
    }

    /** A domain, a composite type or an enum. */
    public TypeDefinition(String schema, String name, String kind, String base, boolean notNull,
                          List<String> checks, List<Attribute> attributes, List<String> labels) {
        this(schema, name, kind, base, notNull, checks, attributes, labels, null, null, List.of());
    }

    public TypeDefinition {
        checks = List.copyOf(checks);
        attributes = List.copyOf(attributes);
        labels = List.copyOf(labels);
        renamedFrom = List.copyOf(renamedFrom);
        if (!renamedFrom.isEmpty() && renamedFrom.size() != 2) {
            throw new FormatException("a type's renamed_from in a DDL message must be [schema, name], not " + renamedFrom);
        }
        if (renamedFrom.equals(List.of(schema, name))) {
            renamedFrom = List.of();
        }
    }

    /** The type's name, schema-qualified and quoted. */
    public String qualifiedName() {
        return TableId.quote(schema) + "." + TableId.quote(name);
    }

    /**
     * What a range type has beside its subtype ({@code base}): the collation and the operator class
     * its bounds are ordered by when they are not the subtype's defaults, and the name of its
     * multirange type — each {@code [schema, name]}, or empty.
     */
    public record RangeParts(List<String> collation, List<String> opclass, List<String> multirange) {
        public RangeParts {
            collation = List.copyOf(collation);
            opclass = List.copyOf(opclass);
            multirange = List.copyOf(multirange);
        }
    }

    /** An attribute of a composite type. */
    public record Attribute(String name, String type) { }
}
