package io.sluice.format;

/** Kafka topic names of the replication stream. */
public final class TopicNames {

    private TopicNames() {
    }

    /** The one ordered replication stream of a source: {@code sluice.<source>.stream}. */
    public static String stream(String sourceId) {
        return "sluice." + SourceId.require(sourceId) + ".stream";
    }

    /**
     * The source's epochs (FORMAT.md, "Epochs"): one compacted record per promotion, keyed by the
     * epoch's number, valued by its {@link EpochMarker}. Capture reads it at every start to learn
     * whether the primary it is given is still the stream's primary.
     */
    public static String epochs(String sourceId) {
        return "sluice." + SourceId.require(sourceId) + ".epochs";
    }

    /**
     * The Kafka consumer group of one follower's applier. The applier commits the offset it has
     * applied up to (a hint for monitoring; the follower's watermark is the truth) and the lag
     * monitor reads it as the follower's consumed offset.
     */
    public static String applierGroup(String sourceId, String follower) {
        return "sluice-applier-" + SourceId.require(sourceId) + "-" + follower;
    }
}
