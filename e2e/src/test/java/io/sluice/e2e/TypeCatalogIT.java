package io.sluice.e2e;

import io.sluice.capture.CaptureConfig;

/** The catalog's types through the default engine, pgoutput: every one of them, exactly. */
class TypeCatalogIT extends TypeCatalogContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.PGOUTPUT;
    }

    @Override
    boolean carries(String type) {
        return true;
    }
}
