package io.sluice.e2e;

import io.sluice.applier.DirectSeed;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import java.time.Clock;
import java.util.List;

/**
 * The catalog's types with the initial snapshot taken by the direct path: the rows that exist
 * before capture starts reach the follower straight from the primary's COPY, those written after
 * through the stream, and the follower's applier (started at once, before the seed is done) must
 * skip the snapshot frame and continue — every value exactly as on the primary.
 */
class DirectSnapshotTypeCatalogIT extends TypeCatalogIT {
    @Override
    CaptureService capture(CaptureConfig config) {
        return new CaptureService(config, null, Clock.systemUTC(), List.of(new DirectSeed(follower())));
    }
}
