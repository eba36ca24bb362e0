package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import java.util.stream.Stream;

class GoldenFilesTest {

    @TestFactory
    Stream<DynamicTest> everyVersion1GoldenFileDecodesToItsEvent() {
        Map<String, ChangeEvent> expected = GoldenEvents.v1();
        return expected.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            byte[] payload = read("/golden/v1/" + e.getKey() + ".json");
            assertThat(EventCodec.decode(payload)).isEqualTo(e.getValue());
        }));
    }

    @TestFactory
    Stream<DynamicTest> theEncoderStillWritesVersion1FilesByteForByte() {
        return GoldenEvents.v1().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
                assertThat(new String(EventCodec.encode(e.getValue(), 1), "UTF-8"))
                        .isEqualTo(new String(read("/golden/v1/" + e.getKey() + ".json"), "UTF-8"))));
    }

    /** Version 2 carries the same events as version 1, in binary: the same expected events. */
    @TestFactory
    Stream<DynamicTest> everyVersion2GoldenFileDecodesToItsEvent() {
        return GoldenEvents.v1().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
                assertThat(EventCodec.decode(read("/golden/v2/" + e.getKey() + ".bin"))).isEqualTo(e.getValue())));
    }

    @TestFactory
    Stream<DynamicTest> theEncoderStillWritesVersion2FilesByteForByte() {
        return GoldenEvents.v1().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
                assertThat(EventCodec.encode(e.getValue())).isEqualTo(read("/golden/v2/" + e.getKey() + ".bin"))));
    }

    /** Version 3: whole and split frames and a heartbeat, each file one run of events. */
    @TestFactory
    Stream<DynamicTest> everyVersion3GoldenFileDecodesToItsRun() {
        return GoldenEvents.v3().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
                assertThat(EventCodec.decodeAll(read("/golden/v3/" + e.getKey() + ".bin"))).isEqualTo(e.getValue())));
    }

    @TestFactory
    Stream<DynamicTest> currentEncoderWritesVersion3FilesByteForByte() {
        // While version 3 is the current version, the run encoder must write the files byte for byte.
        return GoldenEvents.v3().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
                assertThat(GoldenEvents.encodeRun(e.getValue())).isEqualTo(read("/golden/v3/" + e.getKey() + ".bin"))));
    }

    @Test
    void everyTruncationOfAVersion3FileIsRefused() throws IOException {
        for (String run : GoldenEvents.v3().keySet()) {
            byte[] full = read("/golden/v3/" + run + ".bin");
            for (int len = 0; len < full.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(full, len);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> EventCodec.decodeAll(cut))
                        .as("%s cut to %d of %d bytes", run, len, full.length)
                        .isInstanceOf(FormatException.class);
            }
        }
    }

    /** Every golden file of a version cut short at every length is refused with a FormatException. */
    static void assertEveryTruncationIsRefused(String directory, String extension) throws IOException {
        for (String kind : GoldenEvents.v1().keySet()) {
            byte[] full = read(directory + kind + extension);
            for (int len = 0; len < full.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(full, len);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> EventCodec.decode(cut))
                        .as("%s cut to %d of %d bytes", kind, len, full.length)
                        .isInstanceOf(FormatException.class);
            }
        }
    }

    static byte[] read(String resource) throws IOException {
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("golden file %s is on the test classpath", resource).isNotNull();
            return in.readAllBytes();
        }
    }
}
