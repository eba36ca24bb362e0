package io.sluice.capture.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransactionBufferTest {

    @TempDir
    Path dir;

    private static ChangeEvent insert(long seq) {
        EventHeader h = new EventHeader("src", Lsn.ZERO, 42, Instant.parse("2026-01-01T00:00:00Z"), seq);
        return new ChangeEvent.Insert(h, new TableId("public", "t"), List.of("id"), Map.of("id", new Value.Int(seq)));
    }

    @Test
    void shouldDrainInOrderStampedWithCommitLsnAcrossTheSpill() throws Exception {
        Lsn commit = Lsn.parse("5/AB");
        try (TransactionBuffer buffer = new TransactionBuffer(3, dir)) {
            for (long i = 1; i <= 10; i++) {
                buffer.add(insert(i));
            }
            assertThat(buffer.spilled()).isTrue();
            assertThat(buffer.size()).isEqualTo(10);
            List<ChangeEvent> out = new ArrayList<>();
            buffer.drain(commit, out::add);
            assertThat(out).hasSize(10);
            for (int i = 0; i < 10; i++) {
                assertThat(out.get(i).header().seq()).isEqualTo(i + 1);
                assertThat(out.get(i).header().commitLsn()).isEqualTo(commit);
                assertThat(((ChangeEvent.Insert) out.get(i)).after().get("id")).isEqualTo(new Value.Int(i + 1));
            }
            assertThat(buffer.size()).isZero();
            try (var files = Files.list(dir)) {
                assertThat(files).as("spill file removed after drain").isEmpty();
            }
        }
    }

    /** Every kind keeps its kind: a copy event (an attached partition's rows) came out as a heartbeat before. */
    @Test
    void aCopyEventComesOutAsItWentInFromMemoryAndFromTheSpill() throws Exception {
        EventHeader h = new EventHeader("src", Lsn.ZERO, 42, Instant.parse("2026-01-01T00:00:00Z"), 1);
        ChangeEvent copy = io.sluice.format.CopyEvent.of(h, new TableId("public", "t"), List.of("id"), List.of("id", "v"), 2,
                "1\ta\\tb\n2\t\\N\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int memory : new int[] {10, 0}) {
            try (TransactionBuffer buffer = new TransactionBuffer(memory, dir)) {
                buffer.add(copy);
                assertThat(buffer.spilled()).isEqualTo(memory == 0);
                List<ChangeEvent> out = new ArrayList<>();
                buffer.drain(Lsn.parse("5/AB"), out::add);
                assertThat(out).hasSize(1);
                assertThat(out.get(0).header().commitLsn()).isEqualTo(Lsn.parse("5/AB"));
                assertThat(out.get(0).withHeader(h)).as("the same copy event but for its commit LSN").isEqualTo(copy);
            }
        }
    }

    @Test
    void shouldKeepSmallTransactionsInMemory() {
        try (TransactionBuffer buffer = new TransactionBuffer(100, dir)) {
            buffer.add(insert(1));
            assertThat(buffer.spilled()).isFalse();
        }
    }
}
