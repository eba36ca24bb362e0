package io.sluice.capture;

/** The capture contract on the Debezium embedded engine ({@code capture.engine = debezium}). */
class DebeziumCaptureIT extends CaptureContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.DEBEZIUM;
    }
}
