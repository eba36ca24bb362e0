package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EventCodecErrorsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRejectFutureVersionNamingIt() {
        byte[] payload = utf8("{\"v\":5,\"k\":\"begin\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":0}");
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("unsupported format version 5")
                .hasMessageContaining("[1, 2, 3]");
        byte[] binary = {0x00, 5, 1};
        assertThatThrownBy(() -> EventCodec.decodeAll(binary))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("unsupported format version 5")
                .hasMessageContaining("[1, 2, 3]");
    }

    @Test
    void shouldRejectVersion2WrittenAsJson() {
        byte[] payload = utf8("{\"v\":2,\"k\":\"begin\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":0}");
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("format version 2 is binary");
    }

    @Test
    void shouldRejectEveryTruncationOfEveryGoldenFile() throws Exception {
        GoldenFilesTest.assertEveryTruncationIsRefused("/golden/v1/", ".json");
    }

    @Test
    void shouldSayTruncatedAndWhere() throws Exception {
        byte[] full = GoldenFilesTest.read("/golden/v1/insert.json");
        byte[] cut = Arrays.copyOf(full, full.length / 2);
        assertThatThrownBy(() -> EventCodec.decode(cut))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("truncated payload")
                .hasMessageContaining("byte " + cut.length);
    }

    /** Kafka hands the applier slices of a larger batch buffer: only the slice is the event. */
    @Test
    void shouldDecodeASliceOfABufferAndStopAtItsEnd() throws Exception {
        for (String kind : GoldenEvents.v1().keySet()) {
            byte[] event = GoldenFilesTest.read("/golden/v1/" + kind + ".json");
            byte[] batch = new byte[event.length + 20];
            Arrays.fill(batch, (byte) '{'); // garbage before and after the slice
            System.arraycopy(event, 0, batch, 7, event.length);
            java.nio.ByteBuffer slice = java.nio.ByteBuffer.wrap(batch, 7, event.length).slice();
            assertThat(EventCodec.decode(slice)).as(kind).isEqualTo(EventCodec.decode(event));
            assertThat(slice.position()).as("the buffer is left as it was").isZero();
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(event.length).put(event).flip();
            assertThat(EventCodec.decode(direct)).as(kind + " from a direct buffer").isEqualTo(EventCodec.decode(event));
        }
        java.nio.ByteBuffer cut = java.nio.ByteBuffer.wrap(GoldenFilesTest.read("/golden/v1/insert.json"), 0, 40).slice();
        assertThatThrownBy(() -> EventCodec.decode(cut)).isInstanceOf(FormatException.class)
                .hasMessageContaining("truncated payload").hasMessageContaining("byte 40");
    }

    @Test
    void shouldRequireVersionAsFirstField() {
        byte[] payload = utf8("{\"k\":\"begin\",\"v\":1}");
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .hasMessageContaining("first field must be the format version");
    }

    @Test
    void shouldNameMissingField() {
        byte[] payload = utf8("{\"v\":1,\"k\":\"insert\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":1,"
                + "\"key\":[\"id\"],\"after\":{\"id\":{\"i\":1}}}");
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .hasMessageContaining("insert event is missing the required field \"table\"");
    }

    @Test
    void shouldNameColumnWithBadValue() {
        byte[] payload = utf8("{\"v\":1,\"k\":\"insert\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":1,"
                + "\"table\":[\"public\",\"t\"],\"key\":[\"id\"],\"after\":{\"id\":{\"i\":1},\"price\":{\"n\":\"12,5\"}}}");
        assertThatThrownBy(() -> EventCodec.decode(payload))
                .hasMessageContaining("column \"price\"")
                .hasMessageContaining("not a numeric value: '12,5'");
    }

    @Test
    void shouldRejectUnknownValueTagAndKind() {
        byte[] tag = utf8("{\"v\":1,\"k\":\"insert\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":1,"
                + "\"table\":[\"public\",\"t\"],\"key\":[],\"after\":{\"g\":{\"geo\":\"POINT(1 2)\"}}}");
        assertThatThrownBy(() -> EventCodec.decode(tag)).hasMessageContaining("unknown value tag 'geo'");
        byte[] kind = utf8("{\"v\":1,\"k\":\"upsert\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,\"seq\":1}");
        assertThatThrownBy(() -> EventCodec.decode(kind)).hasMessageContaining("unknown event kind 'upsert'");
    }

    @Test
    void shouldRejectIllegalShapeAndTrailingData() {
        byte[] deleteWithoutKeyValue = utf8("{\"v\":1,\"k\":\"delete\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":1,\"ts\":0,"
                + "\"seq\":1,\"table\":[\"public\",\"t\"],\"key\":[\"id\"],\"before\":{\"name\":{\"s\":\"x\"}}}");
        assertThatThrownBy(() -> EventCodec.decode(deleteWithoutKeyValue))
                .hasMessageContaining("key column 'id' of public.t is missing from the before image");
        byte[] trailing = utf8("{\"v\":1,\"k\":\"heartbeat\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":0,\"ts\":0,\"seq\":0} {}");
        assertThatThrownBy(() -> EventCodec.decode(trailing)).hasMessageContaining("trailing data");
    }

    @Test
    void shouldIgnoreUnknownFieldsWithinAVersion() {
        byte[] payload = utf8("{\"v\":1,\"k\":\"heartbeat\",\"src\":\"shop\",\"lsn\":\"0/1\",\"xid\":0,\"ts\":0,\"seq\":0,"
                + "\"addedLater\":{\"x\":[1,2]}}");
        assertThat(EventCodec.decode(payload).kind()).isEqualTo("heartbeat");
    }

    @Test
    void shouldRejectNonJsonAndEmpty() {
        assertThatThrownBy(() -> EventCodec.decode(new byte[0])).hasMessageContaining("empty payload");
        assertThatThrownBy(() -> EventCodec.decode(utf8("garbage"))).isInstanceOf(FormatException.class)
                .hasMessageContaining("malformed payload at byte");
    }
}
