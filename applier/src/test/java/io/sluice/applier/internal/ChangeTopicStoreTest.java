package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.ApplierException;
import io.sluice.format.DdlMessage;
import io.sluice.format.EventHeader;
import io.sluice.format.Lsn;
import io.sluice.format.TableId;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What a change-topics follower refuses of a DDL message, before anything reaches Kafka. */
class ChangeTopicStoreTest {

    @Test
    void aPartitionsRowsGoneWithoutRowChangesAreRefusedNamingThePartitionAndTheWayOn() {
        ChangeTopicStore store = new ChangeTopicStore(ApplierConfig.of("src", "topics", "jdbc:postgresql://unused/db",
                new Properties(), Map.of("bootstrap.servers", "unused:9092")).withKind(ApplierConfig.Kind.TOPICS), Clock.systemUTC());
        DdlMessage gone = new DdlMessage(new TableId("public", "events"),
                List.of(new DdlMessage.DdlColumn("id", "integer", false, null, false)), List.of(), List.of(), false, false, List.of(),
                null, false, true, List.of(new DdlMessage.GonePartition(new TableId("public", "events_2024"), "(id < 10)")));
        EventHeader h = new EventHeader("src", new Lsn(0x100), 7, Instant.EPOCH, 3);
        assertThatThrownBy(() -> store.ddl(gone, h, "sluice.src.stream-0@5")).isInstanceOf(ApplierException.class)
                .hasMessageContaining("public.events_2024").hasMessageContaining("--skip-transaction 0/100");
    }
}
