package io.sluice.format;

/** Kafka topic names of the replication stream. */
public final class TopicNames {

    private TopicNames() {
    }

    /** The one ordered replication stream of a source: {@code sluice.<source>.stream}. */
    public static String stream(String sourceId) {
        return "sluice." + SourceId.require(sourceId) + ".stream";
    }
}
