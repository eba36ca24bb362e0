package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierException;
import io.sluice.format.ChangeEvent;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import io.sluice.format.Value;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A row larger than a change topic's record may be: refused naming it, never sent to fail inside the producer. */
class ChangeRecordsTest {

    private static final TableId TABLE = new TableId("public", "docs");
    private static final EventHeader HEADER = new EventHeader("src", new Lsn(0x2A00), 9, Instant.EPOCH, 1);

    @Test
    void aRowThatFitsARecordIsOneRecordUnderItsKey() {
        ChangeRecords records = new ChangeRecords("src", "topics", 64 * 1024);

        assertThat(records.insert(insert(1, "x".repeat(60 * 1024)))).singleElement()
                .satisfies(r -> assertThat(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"1\"}"));
    }

    @Test
    void aRowLargerThanARecordIsRefusedNamingTableKeyColumnAndPosition() {
        ChangeRecords records = new ChangeRecords("src", "topics", 64 * 1024);

        assertThatThrownBy(() -> records.insert(insert(7, "x".repeat(64 * 1024)))).isInstanceOf(ApplierException.class)
                .hasMessageContaining("public.docs").hasMessageContaining("{\"id\":\"7\"}").hasMessageContaining("column body")
                .hasMessageContaining("0/2A00").hasMessageContaining("65536 bytes").hasMessageContaining("follower topics")
                .satisfies(e -> assertThat(((ApplierException) e).retriable()).isFalse());
    }

    private static ChangeEvent.Insert insert(int id, String body) {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Int(id));
        row.put("title", new Value.Text("t"));
        row.put("body", new Value.Text(body));
        return new ChangeEvent.Insert(HEADER, TABLE, List.of("id"), row);
    }
}
