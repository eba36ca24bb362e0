package io.sluice.format;

import java.util.List;
import java.util.Objects;

/**
 * One column of a table's shape as the source declares it.
 *
 * @param name     the column name, case-sensitive
 * @param type     the PostgreSQL type as {@code format_type} prints it, e.g. {@code numeric(12,2)},
 *                 {@code character varying(40)}, {@code timestamp with time zone}, {@code integer[]},
 *                 or an enum's qualified name
 * @param nullable whether NULL is allowed
 * @param key      whether the column is part of the table's replica identity key
 * @param enumLabels the labels, in order, when the type (or an array's element type) is an enum;
 *                 else empty — so a follower can create the type
 */
public record Column(String name, String type, boolean nullable, boolean key, List<String> enumLabels) {

    /** A column whose type is not an enum. */
    public Column(String name, String type, boolean nullable, boolean key) {
        this(name, type, nullable, key, List.of());
    }

    public Column {
        enumLabels = List.copyOf(Objects.requireNonNull(enumLabels, "enumLabels"));
        Objects.requireNonNull(name, "column name");
        Objects.requireNonNull(type, "column type");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("column name is empty");
        }
        if (type.isEmpty()) {
            throw new IllegalArgumentException("column '" + name + "' has an empty type");
        }
    }
}
