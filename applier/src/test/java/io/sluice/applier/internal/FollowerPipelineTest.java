package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.internal.FollowerPipeline.Segment;
import io.sluice.applier.internal.FrameReader.FrameEnd;
import io.sluice.applier.internal.OpenGroup.GroupCommit;
import io.sluice.format.Lsn;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which thread writes a group, and in which order, with no store: work and commits only record themselves. */
class FollowerPipelineTest {

    private final List<String> log = new CopyOnWriteArrayList<>();
    private final FollowerPipeline pipeline = new FollowerPipeline(g -> log.add("commit " + g.last().offset()
            + " on " + Thread.currentThread().getName()));

    @AfterEach
    void stop() {
        pipeline.stop();
    }

    private static Segment group(long offset, FollowerPipeline.Work... work) {
        GroupCommit commit = new GroupCommit(new FrameEnd(Lsn.parse("0/" + Long.toHexString(16 + offset)), offset, Instant.EPOCH,
                offset, false), 1, Lsn.parse("0/10"), new long[] {offset}, null, null, null, -1);
        return new Segment(List.of(work), commit, "group " + offset, false, offset);
    }

    @Test
    void aCaughtUpGroupIsWrittenOnTheCallingThreadWhileTheFollowerThreadIsIdle() throws Exception {
        pipeline.start("follower");
        pipeline.runOrSubmit(group(1, () -> log.add("work 1 on " + Thread.currentThread().getName())));
        assertThat(log).as("written and committed before runOrSubmit returned, on the caller's thread")
                .containsExactly("work 1 on " + Thread.currentThread().getName(), "commit 1 on " + Thread.currentThread().getName());
        assertThat(pipeline.busy()).isFalse();
    }

    @Test
    void whileTheFollowerThreadIsBusyACaughtUpGroupIsHandedOverAndWrittenAfterTheOneBefore() throws Exception {
        pipeline.start("follower");
        CountDownLatch release = new CountDownLatch(1);
        pipeline.submit(group(1, () -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        pipeline.runOrSubmit(group(2));
        assertThat(log).as("nothing of group 2 ran on the caller while group 1 is being written").isEmpty();
        release.countDown();
        pipeline.awaitIdle();
        assertThat(log).containsExactly("commit 1 on follower", "commit 2 on follower");
    }

    @Test
    void aFailureOfAGroupWrittenOnTheCallingThreadIsThrownAndNamesItsSegment() {
        pipeline.start("follower");
        SQLException refused = new SQLException("refused", "23505");
        Segment failing = group(3, () -> {
            throw refused;
        });
        assertThatThrownBy(() -> pipeline.runOrSubmit(failing)).isSameAs(refused);
        assertThat(pipeline.failedSegment()).isSameAs(failing);
        assertThat(log).as("not committed").isEmpty();
        assertThatThrownBy(() -> pipeline.runOrSubmit(group(4))).as("nothing more runs until the failure is dealt with")
                .isSameAs(refused);
        pipeline.clearFailure();
        assertThat(pipeline.failedSegment()).isNull();
    }
}
