package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fragments (version 4): a payload cut across records and joined back, and what a reader does with pieces. */
class RecordJoinerTest {

    private static final List<ChangeEvent> FRAME = GoldenEvents.v3().get("frame");
    private static final byte[] FRAME_BYTES = GoldenEvents.encodeRun(FRAME);
    private static final byte[] HEARTBEAT = GoldenEvents.encodeRun(GoldenEvents.v3().get("heartbeat"));

    @Test
    void theVersion4GoldenFilesJoinToTheVersion3FrameAndTheSplitterStillWritesThemByteForByte() throws IOException {
        List<byte[]> golden = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            golden.add(read("/golden/v4/frame." + i + ".bin"));
        }
        RecordJoiner joiner = new RecordJoiner();
        assertThat(joiner.offer(40, golden.get(0))).isNull();
        assertThat(joiner.offer(41, golden.get(1))).isNull();
        RecordJoiner.Joined joined = joiner.offer(42, golden.get(2));

        assertThat(joined.events()).isEqualTo(FRAME);
        assertThat(joined.firstOffset()).isEqualTo(40);
        assertThat(joined.lastOffset()).isEqualTo(42);
        assertThat(joined.offsetOf(0)).as("the BEGIN: where the frame starts").isEqualTo(40);
        assertThat(joined.offsetOf(FRAME.size() - 1)).as("the COMMIT: where it ends").isEqualTo(42);
        assertThat(Fragments.split(FRAME_BYTES, GoldenEvents.V4_RECORD_BYTES)).containsExactlyElementsOf(golden);
    }

    @Test
    void aPayloadCutAtAnyRecordSizeJoinsBackAndNoRecordIsLongerThanTheSize() {
        Random random = new Random(7);
        RecordJoiner joiner = new RecordJoiner();
        long offset = 0;
        for (int trial = 0; trial < 300; trial++) {
            int max = 18 + random.nextInt(FRAME_BYTES.length + 40);
            List<byte[]> records = Fragments.split(FRAME_BYTES, max);
            if (FRAME_BYTES.length <= max) {
                assertThat(records).singleElement().isSameAs(FRAME_BYTES);
            }
            RecordJoiner.Joined joined = null;
            for (byte[] r : records) {
                assertThat(r.length).as("a record cut at %d bytes", max).isLessThanOrEqualTo(max);
                assertThat(joined).as("a payload is whole only with its last record").isNull();
                joined = joiner.offer(offset++, r);
            }
            assertThat(joined.events()).as("cut at %d bytes", max).isEqualTo(FRAME);
            assertThat(joined.lastOffset() - joined.firstOffset()).isEqualTo(records.size() - 1);
        }
    }

    @Test
    void aFragmentAloneIsNotAPayloadAndSaysHowToReadIt() {
        byte[] first = Fragments.split(FRAME_BYTES, 400).get(0);

        assertThatThrownBy(() -> EventCodec.decodeAll(first)).isInstanceOf(FormatException.class)
                .hasMessageContaining("fragment").hasMessageContaining("RecordJoiner");
    }

    @Test
    void aFragmentedPayloadCutShortIsDroppedAndWhatFollowsItIsRead() {
        List<byte[]> fragments = Fragments.split(FRAME_BYTES, 300);
        RecordJoiner joiner = new RecordJoiner();
        assertThat(joiner.offer(10, fragments.get(0))).isNull();
        assertThat(joiner.offer(11, fragments.get(1))).isNull();

        // capture stopped inside it; on restart it writes a heartbeat, then the frame again, whole
        RecordJoiner.Joined heartbeat = joiner.offer(12, HEARTBEAT);
        assertThat(heartbeat.events()).isEqualTo(GoldenEvents.v3().get("heartbeat"));
        assertThat(joiner.pending()).isFalse();
        RecordJoiner.Joined again = null;
        for (int i = 0; i < fragments.size(); i++) {
            again = joiner.offer(13 + i, fragments.get(i));
        }
        assertThat(again.events()).isEqualTo(FRAME);
        assertThat(again.firstOffset()).isEqualTo(13);

        // the same when what follows the cut is another fragmented payload's first fragment
        joiner.offer(30, fragments.get(0));
        joiner.offer(31, fragments.get(1));
        for (int i = 0; i < fragments.size(); i++) {
            again = joiner.offer(32 + i, fragments.get(i));
        }
        assertThat(again.events()).isEqualTo(FRAME);
        assertThat(again.firstOffset()).isEqualTo(32);
    }

    @Test
    void fragmentsWhosePayloadBeganBeforeTheReaderOrBeforeASeekAreLeftOut() {
        List<byte[]> fragments = Fragments.split(FRAME_BYTES, 300);
        RecordJoiner joiner = new RecordJoiner();
        // a reader that starts in the middle of a fragmented payload
        assertThat(joiner.offer(5, fragments.get(1))).isNull();
        assertThat(joiner.offer(6, fragments.get(2))).isNull();
        assertThat(joiner.offer(7, HEARTBEAT)).isNotNull();
        // a seek away from a payload being gathered, into the middle of another
        assertThat(joiner.offer(20, fragments.get(0))).isNull();
        assertThat(joiner.offer(51, fragments.get(1))).isNull();
        assertThat(joiner.pending()).isFalse();
        assertThat(joiner.offer(52, fragments.get(2))).isNull();
        assertThat(joiner.offer(53, HEARTBEAT)).isNotNull();
    }

    @Test
    void fragmentsOutOfOrderOrDisagreeingAboutTheirPayloadAreRefused() {
        List<byte[]> fragments = Fragments.split(FRAME_BYTES, 300);
        RecordJoiner skipped = new RecordJoiner();
        skipped.offer(0, fragments.get(0));
        assertThatThrownBy(() -> skipped.offer(1, fragments.get(2))).isInstanceOf(FormatException.class)
                .hasMessageContaining("fragment 2 of " + fragments.size()).hasMessageContaining("fragment 1 of");

        List<byte[]> others = Fragments.split(Arrays.copyOf(FRAME_BYTES, FRAME_BYTES.length - 1), 300);
        RecordJoiner mixed = new RecordJoiner();
        mixed.offer(0, fragments.get(0));
        assertThatThrownBy(() -> mixed.offer(1, others.get(1))).isInstanceOf(FormatException.class)
                .hasMessageContaining((FRAME_BYTES.length - 1) + "-byte payload");
    }

    @Test
    void fragmentsThatClaimMoreOrFewerBytesThanTheyHoldAreRefusedWithoutTakingWhatTheyClaim() {
        // a crafted header claiming a 2 GiB payload in two fragments of a few bytes
        byte[] first = fragment(0, 2, Integer.MAX_VALUE, new byte[] {0, 3});
        byte[] last = fragment(1, 2, Integer.MAX_VALUE, new byte[] {1});
        RecordJoiner joiner = new RecordJoiner();
        assertThat(joiner.offer(0, first)).isNull();
        assertThatThrownBy(() -> joiner.offer(1, last)).isInstanceOf(FormatException.class)
                .hasMessageContaining("hold 3 bytes");

        RecordJoiner over = new RecordJoiner();
        over.offer(0, fragment(0, 2, 3, new byte[] {0, 3}));
        assertThatThrownBy(() -> over.offer(1, fragment(1, 2, 3, new byte[] {1, 2}))).isInstanceOf(FormatException.class)
                .hasMessageContaining("more bytes");

        assertThatThrownBy(() -> new RecordJoiner().offer(0, fragment(0, 1, 4, new byte[] {0, 3, 0, 0})))
                .isInstanceOf(FormatException.class).hasMessageContaining("at least 2 fragments");
        assertThatThrownBy(() -> new RecordJoiner().offer(0, fragment(0, 2, 4, new byte[0])))
                .isInstanceOf(FormatException.class).hasMessageContaining("holds no bytes");
    }

    @Test
    void aFragmentedPayloadThatIsAFragmentAgainOrNoPayloadIsRefused() {
        byte[] inner = Fragments.split(FRAME_BYTES, 300).get(0);
        List<byte[]> outer = Fragments.split(inner, 100);
        RecordJoiner joiner = new RecordJoiner();
        for (int i = 0; i < outer.size() - 1; i++) {
            joiner.offer(i, outer.get(i));
        }
        assertThatThrownBy(() -> joiner.offer(outer.size() - 1, outer.get(outer.size() - 1)))
                .isInstanceOf(FormatException.class).hasMessageContaining("a fragment again");

        byte[] garbage = new byte[500];
        Arrays.fill(garbage, (byte) 0x00);
        garbage[1] = 3;
        List<byte[]> bad = Fragments.split(garbage, 200);
        RecordJoiner reader = new RecordJoiner();
        for (int i = 0; i < bad.size() - 1; i++) {
            reader.offer(i, bad.get(i));
        }
        assertThatThrownBy(() -> reader.offer(bad.size() - 1, bad.get(bad.size() - 1)))
                .isInstanceOf(FormatException.class).hasMessageContaining("records 0.." + (bad.size() - 1));
    }

    @Test
    void everyTruncationOfAGoldenFragmentIsRefusedOrLeavesItsPayloadIncomplete() throws IOException {
        byte[] f0 = read("/golden/v4/frame.0.bin");
        byte[] f1 = read("/golden/v4/frame.1.bin");
        byte[] f2 = read("/golden/v4/frame.2.bin");
        for (int len = 0; len < f1.length; len++) {
            byte[] cut = Arrays.copyOf(f1, len);
            RecordJoiner joiner = new RecordJoiner();
            joiner.offer(0, f0);
            try {
                joiner.offer(1, cut);
                assertThatThrownBy(() -> joiner.offer(2, f2)).as("fragment 1 cut to %d bytes", len)
                        .isInstanceOf(FormatException.class);
            } catch (FormatException expected) {
                // refused at the cut fragment itself
            }
        }
    }

    private static byte[] fragment(long index, long count, long length, byte[] slice) {
        BinaryOut out = new BinaryOut(32);
        out.write(0);
        out.write(Fragments.VERSION);
        out.varlong(index);
        out.varlong(count);
        out.varlong(length);
        out.raw(slice, 0, slice.length);
        return out.toByteArray();
    }

    private static byte[] read(String resource) throws IOException {
        try (InputStream in = RecordJoinerTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no golden file " + resource);
            }
            return in.readAllBytes();
        }
    }
}
