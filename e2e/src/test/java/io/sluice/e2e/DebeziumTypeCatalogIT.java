package io.sluice.e2e;

import io.sluice.capture.CaptureConfig;
import io.sluice.capture.internal.DebeziumTypes;

/**
 * The catalog's types through the Debezium engine: the types it carries exactly
 * ({@link DebeziumTypes}; a table with any other type is refused, {@code DebeziumRefusalIT}),
 * except the infinities, BC and the last years of dates and timestamps, which Debezium cannot
 * represent in a snapshot (refused there, naming the column).
 */
class DebeziumTypeCatalogIT extends TypeCatalogContract {
    @Override
    CaptureConfig.Engine engine() {
        return CaptureConfig.Engine.DEBEZIUM;
    }

    @Override
    boolean carries(String type) {
        return DebeziumTypes.carries(type) || type.equals("mood");
    }

    @Override
    boolean carries(String type, String edge) {
        boolean extreme = edge.toLowerCase(java.util.Locale.ROOT).endsWith("infinity") || edge.startsWith("5874897") || edge.startsWith("294276")
                || edge.contains(" BC");
        return !(extreme && (type.startsWith("date") || type.startsWith("timestamp")));
    }
}
