package io.sluice.format.follower;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AppliedNoticeTest {

    @Test
    void aGroupsXidsRoundTrip() {
        String payload = AppliedNotice.encode("orders", Lsn.parse("0/16B3748"), 4294967295L, new long[] {745, 4294967295L, 9}, 2);
        assertThat(payload).isEqualTo("orders,0/16B3748,4294967295,2,745 4294967295");
        AppliedNotice n = AppliedNotice.parse(payload);
        assertThat(n.source()).isEqualTo("orders");
        assertThat(n.lastCommitLsn()).isEqualTo(Lsn.parse("0/16B3748"));
        assertThat(n.lastXid()).isEqualTo(4294967295L);
        assertThat(n.count()).isEqualTo(2);
        assertThat(n.xids()).containsExactly(745, 4294967295L);
    }

    @Test
    void xidsThatDoNotFitLeaveOnlyTheCount() {
        long[] xids = new long[2000];
        for (int i = 0; i < xids.length; i++) {
            xids[i] = 3_000_000_000L + i;
        }
        String payload = AppliedNotice.encode("s", Lsn.parse("1/0"), xids[1999], xids, xids.length);
        assertThat(payload.getBytes(StandardCharsets.UTF_8).length).isLessThan(8000);
        AppliedNotice n = AppliedNotice.parse(payload);
        assertThat(n.count()).isEqualTo(2000);
        assertThat(n.xids()).as("a waiter must read sluice.applied_group").isNull();
    }

    @Test
    void anOlderAppliersPayloadNamesOnlyTheLastXid() {
        AppliedNotice n = AppliedNotice.parse("s,0/10,77");
        assertThat(n.lastXid()).isEqualTo(77);
        assertThat(n.count()).isEqualTo(-1);
        assertThat(n.xids()).isNull();
    }

    @Test
    void aForeignPayloadIsRefusedNamingIt() {
        assertThatThrownBy(() -> AppliedNotice.parse("hello")).isInstanceOf(FormatException.class).hasMessageContaining("'hello'");
        assertThatThrownBy(() -> AppliedNotice.parse("s,not-an-lsn,1,1")).isInstanceOf(FormatException.class)
                .hasMessageContaining("s,not-an-lsn,1,1");
    }
}
