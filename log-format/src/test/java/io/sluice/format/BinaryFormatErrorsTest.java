package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Version 2 (binary) payloads that are not whole, valid events: each is refused, naming what and where. */
class BinaryFormatErrorsTest {

    private static byte[] golden(String kind) throws Exception {
        return GoldenFilesTest.read("/golden/v2/" + kind + ".bin");
    }

    private static byte[] insertOf(String column, Value value) {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Int(1));
        row.put(column, value);
        return EventCodec.encode(new ChangeEvent.Insert(GoldenEvents.header(1), GoldenEvents.ACCOUNTS, List.of("id"), row));
    }

    /** The offset of the value tag that follows a column name in an encoded row. */
    private static int tagAfter(byte[] payload, String column) {
        byte[] name = column.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i + name.length < payload.length; i++) {
            if (payload[i] == name.length && Arrays.equals(payload, i + 1, i + 1 + name.length, name, 0, name.length)) {
                return i + 1 + name.length;
            }
        }
        throw new AssertionError("column " + column + " not in the payload");
    }

    @Test
    void shouldRejectEveryTruncationOfEveryGoldenFile() throws Exception {
        GoldenFilesTest.assertEveryTruncationIsRefused("/golden/v2/", ".bin");
    }

    @Test
    void shouldSayTruncatedWhereAndInWhichColumn() throws Exception {
        byte[] payload = insertOf("owner", new Value.Text("a text long enough to cut in the middle"));
        byte[] cut = Arrays.copyOf(payload, payload.length - 10);
        assertThatThrownBy(() -> EventCodec.decode(cut))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("insert event")
                .hasMessageContaining("column \"owner\"")
                .hasMessageContaining("(truncated?)");
    }

    @Test
    void shouldRejectUnknownValueTagAndKindNamingThem() {
        byte[] payload = insertOf("price", new Value.Numeric("12.50"));
        payload[tagAfter(payload, "price")] = 99;
        assertThatThrownBy(() -> EventCodec.decode(payload.clone()))
                .hasMessageContaining("unknown value tag 99")
                .hasMessageContaining("column \"price\"");
        byte[] kind = payload.clone();
        kind[2] = 42;
        assertThatThrownBy(() -> EventCodec.decode(kind)).hasMessageContaining("unknown event kind code 42");
    }

    @Test
    void shouldRejectAColumnThatAppearsTwiceInARow() {
        // A crafted row naming one column twice: a second name written over with the first, for a
        // short name and for one longer than the names a reader keeps canonical.
        for (String[] names : List.of(new String[] {"id", "ie"}, new String[] {"x".repeat(80), "y".repeat(80)})) {
            Map<String, Value> row = new LinkedHashMap<>();
            row.put("id", new Value.Int(1));
            row.put(names[0], new Value.Int(2));
            row.put(names[1], new Value.Int(3));
            byte[] payload = EventCodec.encode(new ChangeEvent.Insert(GoldenEvents.header(1), GoldenEvents.ACCOUNTS, List.of("id"), row));
            assertThat(EventCodec.decode(payload)).isInstanceOf(ChangeEvent.Insert.class);
            byte[] first = names[0].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            System.arraycopy(first, 0, payload, tagAfter(payload, names[1]) - first.length, first.length);
            assertThatThrownBy(() -> EventCodec.decode(payload))
                    .isInstanceOf(FormatException.class)
                    .hasMessageContaining("the column appears twice")
                    .hasMessageContaining("column \"" + names[0] + "\"");
        }
    }

    @Test
    void shouldCheckValuesAsVersion1Does() {
        byte[] payload = insertOf("price", new Value.Numeric("12.50"));
        int at = tagAfter(payload, "price");
        payload[at + 4] = ','; // tag, length, then "12.50" -> "12,50"
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("column \"price\"")
                .hasMessageContaining("not a numeric value: '12,50'");
    }

    @Test
    void shouldRejectTextThatIsNotUtf8() {
        byte[] payload = insertOf("owner", new Value.Text("abc"));
        payload[tagAfter(payload, "owner") + 3] = (byte) 0xC3; // a lead byte followed by 'c'
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("column \"owner\"");
    }

    @Test
    void shouldRefuseToEncodeTextWithoutAUtf8Form() {
        assertThatThrownBy(() -> insertOf("owner", new Value.Text("a\uD800b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column \"owner\"")
                .hasMessageContaining("unpaired surrogate");
    }

    @Test
    void shouldRejectACountLargerThanThePayloadWithoutAllocatingIt() {
        byte[] payload = insertOf("tags", new Value.Array(List.of(new Value.Int(1))));
        int at = tagAfter(payload, "tags") + 1; // the element count
        byte[] huge = new byte[payload.length + 4];
        System.arraycopy(payload, 0, huge, 0, at);
        huge[at] = (byte) 0xFF;
        huge[at + 1] = (byte) 0xFF;
        huge[at + 2] = (byte) 0xFF;
        huge[at + 3] = (byte) 0xFF;
        huge[at + 4] = 0x07; // 2^31 - 1 elements
        System.arraycopy(payload, at + 1, huge, at + 5, payload.length - at - 1);
        assertThatThrownBy(() -> EventCodec.decode(huge))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("count of 2147483647 items");
    }

    @Test
    void shouldRejectTrailingData() throws Exception {
        byte[] full = golden("heartbeat");
        byte[] longer = Arrays.copyOf(full, full.length + 1);
        assertThatThrownBy(() -> EventCodec.decode(longer)).hasMessageContaining("trailing data after the heartbeat event");
    }

    @Test
    void shouldSkipOptionalFieldsItDoesNotKnow() throws Exception {
        byte[] full = golden("commit");
        assertThat(full[full.length - 1]).as("no optional fields written today").isZero();
        byte[] withField = Arrays.copyOf(full, full.length + 5);
        withField[full.length - 1] = 1; // one optional field
        withField[full.length] = 7; // its number
        withField[full.length + 1] = 3; // its length
        withField[full.length + 2] = 'a';
        withField[full.length + 3] = 'b';
        withField[full.length + 4] = 'c';
        assertThat(EventCodec.decode(withField)).isEqualTo(EventCodec.decode(full));
    }

    @Test
    void shouldRefuseAnEncodingThatWouldLoseSubMicrosecondTime() {
        Value nanos = new Value.TimestampTz(java.time.Instant.parse("2026-01-01T00:00:00.000000001Z"));
        assertThatThrownBy(() -> insertOf("at", nanos)).hasMessageContaining("finer than a microsecond");
    }

    @Test
    void shouldHoldPostgresqlsWholeTimestampRange() {
        // PostgreSQL's limits: 4713 BC and 294276 AD. Microseconds since 1970 would overflow at the top.
        for (String t : List.of("-4713-11-24T00:00:00", "+294276-12-31T23:59:59.999999")) {
            Value ts = new Value.Timestamp(java.time.LocalDateTime.parse(t));
            ChangeEvent.Insert decoded = (ChangeEvent.Insert) EventCodec.decode(insertOf("at", ts));
            assertThat(decoded.after().get("at")).as(t).isEqualTo(ts);
        }
    }

    /** A payload damaged anywhere decodes to some event or fails with FormatException; never anything else. */
    @Property(tries = 3000)
    void aDamagedPayloadFailsOnlyWithFormatException(@ForAll("kinds") String kind, @ForAll int position, @ForAll byte replacement)
            throws Exception {
        byte[] payload = golden(kind);
        payload[Math.floorMod(position, payload.length)] = replacement;
        try {
            EventCodec.decode(payload);
        } catch (FormatException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /** The same for version 3 runs: damaged anywhere, a run decodes to some events or fails with FormatException. */
    @Property(tries = 3000)
    void aDamagedRunFailsOnlyWithFormatException(@ForAll("runs") String run, @ForAll int position, @ForAll byte replacement)
            throws Exception {
        byte[] payload = GoldenFilesTest.read("/golden/v3/" + run + ".bin");
        payload[Math.floorMod(position, payload.length)] = replacement;
        try {
            EventCodec.decodeAll(payload);
        } catch (FormatException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Test
    void aRunOfEventsOutOfFrameOrderIsRefusedNamingWhy() {
        Map<String, ChangeEvent> one = GoldenEvents.v1();
        // Encoded by hand past the encoder's own check: a run whose second event is a BEGIN.
        BinaryOut events = new BinaryOut(64);
        for (ChangeEvent e : List.of(one.get("insert"), one.get("begin"))) {
            events.write(BinaryCodec.kindCode(e));
            BinaryCodec.body(events, e, 0);
        }
        BinaryOut out = new BinaryOut(64);
        out.write(0);
        out.write(3);
        BinaryCodec.header(out, one.get("insert").header());
        out.varlong(2);
        out.append(events);
        assertThatThrownBy(() -> EventCodec.decodeAll(out.toByteArray())).isInstanceOf(FormatException.class)
                .hasMessageContaining("a begin as event 2 of a run of 2");
        assertThatThrownBy(() -> EventCodec.decode(GoldenFilesTest.read("/golden/v3/frame.bin")))
                .isInstanceOf(FormatException.class).hasMessageContaining("a run of 8 events where one event was expected");
        RunEncoder run = new RunEncoder();
        run.add(one.get("begin"));
        assertThat(run.accepts(one.get("schema"))).isTrue();
        assertThat(run.accepts(one.get("insert"))).as("seq 2 after seq 0").isFalse();
        assertThatThrownBy(() -> run.add(one.get("heartbeat"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Provide
    Arbitrary<String> runs() {
        return Arbitraries.of(List.copyOf(GoldenEvents.v3().keySet()));
    }

    @Provide
    Arbitrary<String> kinds() {
        return Arbitraries.of(List.copyOf(GoldenEvents.v1().keySet()));
    }
}
