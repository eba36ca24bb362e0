package io.sluice.capture.internal.pgoutput;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.capture.internal.DdlTrigger;
import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.Column;
import io.sluice.format.DdlMessage;
import io.sluice.format.FormatException;
import io.sluice.format.TableId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A table's shape as the catalog holds it — read by the table's name for the snapshot and for a
 * table announced before pgoutput describes it, or carried in the DDL triggers' rows message of a
 * table taken into a publication, as it was then — with the columns pgoutput sends and the same key
 * rule as for a Relation message ({@link RelationShapes}). The query is the body of
 * {@code sluice.table_shape} in ddl-capture.sql ({@link DdlTrigger#TABLE_SHAPE}). Stateless.
 */
final class CatalogShapes {

    private static final JsonFactory JSON = new JsonFactory();

    private static final String BY_NAME = "SELECT k.oid::int4, (" + DdlTrigger.TABLE_SHAPE.replace("?::oid", "k.oid") + ")::text"
            + " FROM pg_class k JOIN pg_namespace ns ON ns.oid = k.relnamespace WHERE ns.nspname = ? AND k.relname = ?";

    private static final String BY_OID = "SELECT (" + DdlTrigger.TABLE_SHAPE + ")::text";

    private CatalogShapes() {
    }

    /**
     * The table's shape as the catalog holds it on {@code c} — inside the snapshot being copied —
     * with the columns pgoutput sends (generated columns are not among them) and the same key
     * rule as for a Relation message.
     */
    static TableShape read(Connection c, TableId table) throws SQLException {
        return readIfPresent(c, table).orElseThrow(
                () -> new SQLException("table " + table + " has no columns to copy, or is not in the catalog"));
    }

    /**
     * {@link #read}, or empty when the catalog of {@code c} has no such table (dropped or renamed since it was last
     * looked at) or it has no columns.
     */
    static Optional<TableShape> readIfPresent(Connection c, TableId table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(BY_NAME)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getString(2).contains("\"columns\" : [")) { // json_agg of no column: null
                    return Optional.empty();
                }
                TableShape shape = parse(rs.getString(2).getBytes(StandardCharsets.UTF_8));
                return Optional.of(shape.withTypes(UserTypes.read(c, rs.getInt(1))));
            }
        }
    }

    /**
     * What the catalog says of the relation {@code relationOid} that a Relation message does not: its generated columns
     * with their expressions, and the tables it inherits from (a message of its definition, its columns those pgoutput
     * sends), or null when the catalog lacks it.
     */
    static DdlMessage definition(Connection c, int relationOid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(BY_OID)) {
            ps.setInt(1, relationOid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null ? DdlMessage.parse(rs.getString(1).getBytes(StandardCharsets.UTF_8)) : null;
            }
        }
    }

    /**
     * A shape as {@code sluice.table_shape} writes it, with the {@code types} it carries (none when it carries
     * none); a malformed one is a {@link FormatException} saying what is wrong.
     */
    static TableShape parse(byte[] json) {
        DdlMessage definition = DdlMessage.parse(json);
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        java.util.Map<String, List<String>> enumTypes = new java.util.HashMap<>();
        ReplicaIdentity identity = ReplicaIdentity.DEFAULT;
        try (JsonParser p = JSON.createParser(json)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("identity") && t == JsonToken.VALUE_STRING && p.getText().length() == 1) {
                    identity = TableShape.identity(p.getText().charAt(0));
                } else if (field.equals("columns") && t == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        DdlMessage.DdlColumn c = definition.columns().get(columns.size());
                        Column column = column(p, c, enumTypes);
                        columns.add(column);
                        if (column.key()) {
                            key.add(column.name());
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new FormatException("a table's shape is not valid JSON: " + e.getMessage());
        }
        java.util.Map<String, DdlMessage.DdlColumn> described = new java.util.HashMap<>();
        definition.columns().forEach(c -> described.put(c.name(), c));
        return new TableShape(definition.table(), columns, key, identity, definition.generated(), definition.types(),
                definition.inherits() == null ? List.of() : definition.inherits(), described, enumTypes);
    }

    /**
     * One column's object, whose name, type and nullability {@code c} holds: its key flag and enum labels read here, and
     * the enum they are of into {@code enumTypes}.
     */
    private static Column column(JsonParser p, DdlMessage.DdlColumn c, java.util.Map<String, List<String>> enumTypes)
            throws IOException {
        boolean isKey = false;
        List<String> labels = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("key")) {
                isKey = t == JsonToken.VALUE_TRUE;
            } else if (field.equals("labels") && t == JsonToken.START_ARRAY) {
                while (p.nextToken() == JsonToken.VALUE_STRING) {
                    labels.add(p.getText());
                }
            } else if (field.equals("enum") && t == JsonToken.START_ARRAY) {
                List<String> type = new ArrayList<>();
                while (p.nextToken() == JsonToken.VALUE_STRING) {
                    type.add(p.getText());
                }
                if (type.size() == 2) {
                    enumTypes.put(c.name(), type);
                }
            } else {
                p.skipChildren();
            }
        }
        return new Column(c.name(), c.type(), c.nullable(), isKey, labels);
    }
}
