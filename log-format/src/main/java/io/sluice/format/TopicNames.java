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

    /**
     * One table's keyed change topic, written by a follower of kind {@code topics} (FORMAT.md,
     * "Change topics"): {@code sluice.<source>.<follower>.<schema>.<table>}. A schema or table name
     * outside {@code [A-Za-z0-9_-]} (Kafka allows {@code .} too, but it separates the parts here)
     * has no topic name and is refused, naming the table.
     */
    public static String changes(String sourceId, String follower, TableId table) {
        for (String part : new String[] {table.schema(), table.table()}) {
            if (part.isEmpty() || !part.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-'))) {
                throw new IllegalArgumentException("table " + table + " has no change topic name: its schema and table names"
                        + " must be letters, digits, '_' or '-' (Kafka's topic characters without '.')");
            }
        }
        String name = "sluice." + SourceId.require(sourceId) + "." + follower + "." + table.schema() + "." + table.table();
        if (name.length() > 249) {
            throw new IllegalArgumentException("table " + table + " has no change topic name: '" + name + "' is longer than"
                    + " Kafka's 249 characters");
        }
        return name;
    }
}
