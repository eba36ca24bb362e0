package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DdlMessageTest {

    @Test
    void whatCaptureWritesReadsBackTheSame() {
        DdlMessage m = new DdlMessage(new TableId("public", "orders"),
                List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                        new DdlMessage.DdlColumn("note", "text", true, "it's \"quoted\"", true)),
                List.of(new DdlMessage.Generated("total", "numeric", true, "(price * (qty)::numeric)", true)),
                List.of(new TypeDefinition("public", "positive", "domain", "integer", true,
                                List.of("CHECK ((VALUE > 0))"), List.of()),
                        new TypeDefinition("sales", "amount", "composite", null, false, List.of(),
                                List.of(new TypeDefinition.Attribute("value", "numeric(12,2)"),
                                        new TypeDefinition.Attribute("currency", "character(3)"))),
                        new TypeDefinition("sales", "state", "enum", null, false, List.of(), List.of(),
                                List.of("new", "it's \"paid\"", "été")),
                        new TypeDefinition("sales", "span", "range", "text", false, List.of(), List.of(), List.of(),
                                new TypeDefinition.RangeParts(List.of("pg_catalog", "C"), List.of(), List.of("sales", "spans"))),
                        new TypeDefinition("sales", "plain", "range", "double precision", false, List.of(), List.of(),
                                List.of(), new TypeDefinition.RangeParts(List.of(), List.of(), List.of())),
                        TypeDefinition.ofExtension("public", "hstore", "hstore")),
                false, true, List.of("renamed"), new TableId("archive", "orders_old"));
        assertThat(DdlMessage.parse(m.toJson())).isEqualTo(m);
        assertThat(m.types().get(1).qualifiedName()).isEqualTo("\"sales\".\"amount\"");
        DdlMessage created = new DdlMessage(new TableId("public", "fresh"), m.columns(), List.of(), List.of(), false, false,
                List.of(), null, true);
        assertThat(DdlMessage.parse(created.toJson())).isEqualTo(created);
        assertThat(DdlMessage.parse(m.toJson()).created()).isFalse();
        DdlMessage trigger = new DdlMessage(m.table(), m.columns(), List.of(), m.types(), false, false, List.of(), null, false, true);
        assertThat(DdlMessage.parse(trigger.toJson())).isEqualTo(trigger);
        assertThat(DdlMessage.parse(m.toJson()).fromTrigger()).isFalse();
    }

    @Test
    void aTypeTheTriggerSawRenamedCarriesItsOldName() {
        TypeDefinition moved = new TypeDefinition("sales", "mood", "enum", null, false, List.of(), List.of(),
                List.of("sad"), null, null, List.of("public", "feeling"));
        TypeDefinition extension = new TypeDefinition("public", "kv", "extension", null, false, List.of(),
                List.of(), List.of(), null, "hstore", List.of("public", "hstore"));
        DdlMessage m = new DdlMessage(new TableId("public", "t"), List.of(new DdlMessage.DdlColumn("m", "sales.mood", true, null, false)),
                List.of(), List.of(moved, extension), false, false, List.of(), null, false, true);
        DdlMessage read = DdlMessage.parse(m.toJson());
        assertThat(read).isEqualTo(m);
        assertThat(read.types().get(0).renamedFrom()).containsExactly("public", "feeling");
        assertThat(new TypeDefinition("s", "t", "domain", "int", false, List.of(), List.of()).renamedFrom()).isEmpty();
        assertThat(new TypeDefinition("s", "t", "enum", null, false, List.of(), List.of(), List.of(), null, null,
                List.of("s", "t")).renamedFrom()).as("its own name is no rename").isEmpty();
        String bad = "{\"table\":[\"public\",\"t\"],\"columns\":[],\"types\":[{\"schema\":\"public\",\"name\":\"e\","
                + "\"kind\":\"enum\",\"renamed_from\":[\"x\"]}]}";
        assertThatThrownBy(() -> DdlMessage.parse(bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("renamed_from").hasMessageContaining("[schema, name]");
    }

    @Test
    void aColumnTheTriggerSawRenamedCarriesItsOldName() {
        DdlMessage m = new DdlMessage(new TableId("public", "t"),
                List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                        new DdlMessage.DdlColumn("qty", "integer", true, null, false, "quantity")),
                List.of(new DdlMessage.Generated("total", "numeric", true, "(qty * 2)", true, "sum")),
                List.of(), false, false, List.of("qty", "total"), null, false, true);
        DdlMessage read = DdlMessage.parse(m.toJson());
        assertThat(read).isEqualTo(m);
        assertThat(read.columnRenames()).containsExactly(java.util.Map.entry("qty", "quantity"), java.util.Map.entry("total", "sum"));
        assertThat(new String(m.toJson(), StandardCharsets.UTF_8)).contains("\"renamed_from\":\"quantity\"")
                .as("no field for a column not renamed").doesNotContain("\"renamed_from\":null");
        assertThat(new DdlMessage.DdlColumn("a", "integer", true, null, false, "a").renamedFrom())
                .as("its own name is no rename").isNull();
    }

    @Test
    void theTablesATableInheritsFromReadBackInOrderAndTheirAbsenceStaysUnsaid() {
        DdlMessage plain = new DdlMessage(new TableId("public", "cities"),
                List.of(new DdlMessage.DdlColumn("name", "text", true, null, false)), List.of(), List.of(), false, false, List.of());
        assertThat(plain.inherits()).isNull();
        assertThat(DdlMessage.parse(plain.toJson()).inherits()).as("a message that does not say").isNull();
        assertThat(new String(plain.toJson(), StandardCharsets.UTF_8)).doesNotContain("inherits");
        DdlMessage child = plain.withInherits(List.of(new TableId("geo", "places"), new TableId("public", "named \"things\"")));
        DdlMessage read = DdlMessage.parse(child.toJson());
        assertThat(read).isEqualTo(child);
        assertThat(read.inherits()).containsExactly(new TableId("geo", "places"), new TableId("public", "named \"things\""));
        assertThat(DdlMessage.parse(plain.withInherits(List.of()).toJson()).inherits()).as("inherits from none").isEmpty();
        assertThat(child.onlyColumns(List.of("name")).inherits()).isEqualTo(child.inherits());
        String bad = "{\"table\":[\"public\",\"t\"],\"columns\":[{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true}],"
                + "\"inherits\":[[\"public\"]]}";
        assertThatThrownBy(() -> DdlMessage.parse(bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("inherited table");
    }

    @Test
    void partitionsThatLeftATableReadBackTheSame() {
        DdlMessage m = new DdlMessage(new TableId("public", "events"), List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false)),
                List.of(), List.of(), false, false, List.of(), null, false, true,
                List.of(new DdlMessage.GonePartition(new TableId("public", "events_2024"),
                                "((at IS NOT NULL) AND (at >= '2024-01-01'::date) AND (at < '2025-01-01'::date))"),
                        new DdlMessage.GonePartition(new TableId("public", "events_h0"), null),
                        new DdlMessage.GonePartition(new TableId("public", "events_m"), "(\"v\" < 'm'::\"text\")", true)));
        assertThat(DdlMessage.parse(m.toJson())).isEqualTo(m);
        DdlMessage none = new DdlMessage(m.table(), m.columns(), List.of(), List.of(), false, false, List.of(), null, false, true);
        assertThat(new String(none.toJson(), StandardCharsets.UTF_8)).doesNotContain("partitions_");
        String fromTrigger = "{\"table\":[\"public\",\"events\"],\"partitions_gone\":null,"
                + "\"columns\":[{\"name\":\"id\",\"type\":\"integer\"}]}";
        assertThat(DdlMessage.parse(fromTrigger.getBytes(StandardCharsets.UTF_8)).partitionsGone()).isEmpty();
    }

    @Test
    void aColumnsDefaultAndCollationReadBackAndTheirAbsenceStaysUnsaid() {
        DdlMessage m = new DdlMessage(new TableId("public", "t"),
                List.of(new DdlMessage.DdlColumn("id", "integer", false, null, true, null, "nextval('t_id_seq'::regclass)", List.of()),
                        new DdlMessage.DdlColumn("name", "text", true, null, false, null, null, List.of("pg_catalog", "de-x-icu")),
                        new DdlMessage.DdlColumn("note", "text", true, null, false)),
                List.of(), List.of(), false, false, List.of());
        DdlMessage read = DdlMessage.parse(m.toJson());
        assertThat(read).isEqualTo(m);
        assertThat(read.columns().get(0).defaultExpression()).isEqualTo("nextval('t_id_seq'::regclass)");
        assertThat(read.columns().get(1).collation()).containsExactly("pg_catalog", "de-x-icu");
        assertThat(new String(m.toJson(), StandardCharsets.UTF_8)).as("no field for a column without one")
                .doesNotContain("\"default\":null").doesNotContain("\"collation\":[]");
        assertThatThrownBy(() -> DdlMessage.parse(("{\"table\":[\"public\",\"t\"],\"columns\":[{\"name\":\"c\",\"type\":\"text\","
                + "\"collation\":[\"a\",\"b\",\"c\"]}]}").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FormatException.class).hasMessageContaining("collation");
    }

    @Test
    void theEventTriggersMessageWithoutNewerFieldsReadsConservatively() {
        String trigger = "{\"table\":[\"public\",\"t\"],\"volatile_rewrite\":true,\"columns\":"
                + "[{\"name\":\"c\",\"type\":\"integer\",\"nullable\":true,\"missing\":null}]}";
        DdlMessage m = DdlMessage.parse(trigger.getBytes(StandardCharsets.UTF_8));
        assertThat(m.columns().get(0).hasDefault()).as("a column of an older message may have a default").isTrue();
        assertThat(m.columns().get(0).defaultExpression()).as("which it does not say").isNull();
        assertThat(m.generated()).isEmpty();
        assertThat(m.types()).isEmpty();
        assertThat(m.rowsFollow()).as("an older message says nothing of rows following").isFalse();
    }

    /** Seen through a column list: only the listed columns, renames among them, no generated column. */
    @Test
    void aMessageSeenThroughAColumnListHoldsOnlyItsColumns() {
        DdlMessage m = new DdlMessage(new TableId("public", "t"), List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                new DdlMessage.DdlColumn("a2", "text", true, null, false, "a"), new DdlMessage.DdlColumn("secret", "text", true, null, false)),
                List.of(new DdlMessage.Generated("g", "integer", true, "id + 1", true)), List.of(), false, false,
                List.of("a2", "secret"), null, false, true, List.of(), false);
        DdlMessage listed = new DdlMessage(m.table(), m.columns(), m.generated(), List.of(), false, false, m.renamedColumns(), null,
                false, true, List.of(), false, java.util.Map.of("pub_a", List.of("id", "a2")));
        assertThat(DdlMessage.parse(listed.toJson())).as("column lists read back").isEqualTo(listed);
        DdlMessage seen = listed.onlyColumns(listed.columnLists().get("pub_a"));
        assertThat(seen.columnLists()).isEmpty();
        assertThat(seen.columns()).extracting(DdlMessage.DdlColumn::name).containsExactly("id", "a2");
        assertThat(seen.columns().get(1).renamedFrom()).isEqualTo("a");
        assertThat(seen.renamedColumns()).containsExactly("a2");
        assertThat(seen.generated()).isEmpty();
        assertThat(DdlMessage.parse(seen.toJson())).isEqualTo(seen);
    }

    /**
     * A generated column's place among the columns reads back, is counted again among the columns a column list
     * leaves, stays unsaid when absent, and one that is no count is refused naming the column.
     */
    @Test
    void aGeneratedColumnsPlaceReadsBackAndCountsOnlyTheColumnsAConsumerHolds() {
        List<DdlMessage.DdlColumn> columns = List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false),
                new DdlMessage.DdlColumn("secret", "text", true, null, false), new DdlMessage.DdlColumn("v", "text", true, null, false));
        DdlMessage m = new DdlMessage(new TableId("public", "t"), columns,
                List.of(new DdlMessage.Generated("g", "integer", true, "id + 1", true, null, 2),
                        new DdlMessage.Generated("h", "integer", true, "id + 2", true, null, 3),
                        new DdlMessage.Generated("k", "integer", true, "id + 3", true)), List.of(), false, false, List.of(), null,
                false, true);
        assertThat(DdlMessage.parse(m.toJson())).isEqualTo(m);
        assertThat(m.onlyColumns(List.of("id", "v", "g", "h", "k")).generated()).extracting(DdlMessage.Generated::place)
                .as("after id only, then after id and v, then unsaid").containsExactly(1, 2, null);
        String bad = "{\"table\":[\"public\",\"t\"],\"columns\":[{\"name\":\"id\",\"type\":\"integer\"}],"
                + "\"generated\":[{\"name\":\"g\",\"type\":\"integer\",\"expression\":\"id\",\"place\":\"one\"}]}";
        assertThatThrownBy(() -> DdlMessage.parse(bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("generated column g").hasMessageContaining("place one");
    }

    /** A rewrite whose values follow as rows: the mark reads back, and a message without them writes none. */
    @Test
    void rowsThatFollowAMessageAreMarkedOnIt() {
        DdlMessage m = new DdlMessage(new TableId("public", "t"), List.of(new DdlMessage.DdlColumn("r", "double precision", true, null, true)),
                List.of(), List.of(), true, false, List.of(), null, false, true, List.of(), true);
        assertThat(new String(m.toJson(), StandardCharsets.UTF_8)).contains("\"rows_follow\":true");
        assertThat(DdlMessage.parse(m.toJson())).isEqualTo(m);
        DdlMessage without = new DdlMessage(m.table(), m.columns(), List.of(), List.of(), true, false, List.of(), null, false, true);
        assertThat(new String(without.toJson(), StandardCharsets.UTF_8)).doesNotContain("rows_follow");
    }

    @Test
    void onlyTheTriggersMessageMayDescribeATableOfNoColumns() {
        DdlMessage none = DdlMessage.parse("{\"table\":[\"public\",\"t\"],\"trigger\":true,\"columns\":[]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(none.columns()).isEmpty();
        assertThat(none.fromTrigger()).isTrue();
        assertThatThrownBy(() -> DdlMessage.parse("{\"table\":[\"public\",\"t\"],\"columns\":[]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(FormatException.class).hasMessageContaining("its columns or types");
    }

    @Test
    void aTypeWithoutItsDefinitionIsRefused() {
        String bad = "{\"table\":[\"public\",\"t\"],\"columns\":[],\"types\":[{\"schema\":\"public\",\"name\":\"d\",\"kind\":\"domain\"}]}";
        assertThatThrownBy(() -> DdlMessage.parse(bad.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("a domain its base type");
        String range = "{\"table\":[\"public\",\"t\"],\"columns\":[],\"types\":[{\"schema\":\"public\",\"name\":\"r\","
                + "\"kind\":\"range\",\"base\":\"text\",\"collation\":[\"C\"]}]}";
        assertThatThrownBy(() -> DdlMessage.parse(range.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("collation").hasMessageContaining("[schema, name]");
        String extension = "{\"table\":[\"public\",\"t\"],\"columns\":[],\"types\":[{\"schema\":\"public\",\"name\":\"h\","
                + "\"kind\":\"extension\"}]}";
        assertThatThrownBy(() -> DdlMessage.parse(extension.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("an extension's type its extension");
        String unknown = "{\"table\":[\"public\",\"t\"],\"columns\":[],\"types\":[{\"schema\":\"public\",\"name\":\"h\","
                + "\"kind\":\"shell\",\"base\":\"text\"}]}";
        assertThatThrownBy(() -> DdlMessage.parse(unknown.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("needs a schema, a name and a kind");
        String empty = "{\"table\":[\"public\",\"t\"],\"columns\":[]}";
        assertThatThrownBy(() -> DdlMessage.parse(empty.getBytes(StandardCharsets.UTF_8))).isInstanceOf(FormatException.class)
                .hasMessageContaining("columns or types");
    }
}
