package io.sluice.capture;

/** The capture contract on Sluice's own pgoutput reader, the default engine. */
class PgOutputCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }

    /** The contract's backlog (read through SQL by default) read through the walsender instead. */
    @org.junit.jupiter.api.Test
    void aBacklogReadThroughTheWalsenderArrivesWholeAndInCommitOrder() throws Exception {
        backlogArrivesWholeAndInCommitOrder("backlogws", cfg -> cfg.withCatchUp(CaptureConfig.CatchUp.WALSENDER));
    }
}
