package io.sluice.capture;

/** The capture contract on Sluice's own pgoutput reader, the default engine. */
class PgOutputCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }
}
