package io.sluice.format;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A follower's watermark where the follower keeps it in Kafka: the metadata of its applier
 * group's committed offset on the stream (FORMAT.md, "Change topics"). A follower of kind
 * {@code topics} commits that offset in the same Kafka transaction as the records it wrote, so the
 * offset (the stream offset after the last applied source transaction) and this metadata are
 * exactly what it applied. Text form, at most a few hundred bytes (Kafka's default limit is 4,096):
 * {@code sluice-watermark/1 lsn=0/16B3748 xid=745 time=2026-12-04T10:00:00.123456Z
 * applied=2026-12-04T10:00:00.130Z tx=42 epoch=0}, then {@code follower=<name> fork=<lsn>} in an
 * epoch that began with a promotion.
 *
 * @param commitLsn     the last applied source transaction's commit LSN
 * @param xid           its xid
 * @param commitTime    its commit time on the primary
 * @param appliedAt     when the follower committed it
 * @param transactions  source transactions applied so far
 * @param epoch         the epoch {@code commitLsn} belongs to
 * @param epochFollower the follower promoted at that epoch's start; null in epoch 0
 * @param forkLsn       the previous epoch's last commit; null in epoch 0
 */
public record AppliedOffset(Lsn commitLsn, long xid, Instant commitTime, Instant appliedAt, long transactions, long epoch,
                            String epochFollower, Lsn forkLsn) {

    private static final String MAGIC = "sluice-watermark/1";

    public AppliedOffset {
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(commitTime, "commitTime");
        Objects.requireNonNull(appliedAt, "appliedAt");
    }

    /** The offset metadata text. */
    public String metadata() {
        StringBuilder s = new StringBuilder(MAGIC).append(" lsn=").append(commitLsn).append(" xid=").append(xid)
                .append(" time=").append(commitTime).append(" applied=").append(appliedAt).append(" tx=").append(transactions)
                .append(" epoch=").append(epoch);
        if (epochFollower != null) {
            s.append(" follower=").append(epochFollower);
        }
        if (forkLsn != null) {
            s.append(" fork=").append(forkLsn);
        }
        return s.toString();
    }

    /** Whether offset metadata is a watermark at all (an applier of another kind commits hints without one). */
    public static boolean is(String metadata) {
        return metadata != null && metadata.startsWith(MAGIC + " ");
    }

    /** Reads {@link #metadata()} back. */
    public static AppliedOffset parse(String metadata) {
        if (!is(metadata)) {
            throw new FormatException("offset metadata '" + metadata + "' is not a Sluice watermark");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : metadata.substring(MAGIC.length() + 1).split(" ")) {
            int eq = part.indexOf('=');
            if (eq < 1) {
                throw new FormatException("watermark metadata field '" + part + "' is not name=value");
            }
            fields.put(part.substring(0, eq), part.substring(eq + 1));
        }
        try {
            return new AppliedOffset(Lsn.parse(need(fields, "lsn")), Long.parseLong(need(fields, "xid")),
                    Instant.parse(need(fields, "time")), Instant.parse(need(fields, "applied")),
                    Long.parseLong(need(fields, "tx")), Long.parseLong(need(fields, "epoch")), fields.get("follower"),
                    fields.containsKey("fork") ? Lsn.parse(fields.get("fork")) : null);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new FormatException("watermark metadata '" + metadata + "': " + e.getMessage(), e);
        }
    }

    private static String need(Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new FormatException("watermark metadata has no field '" + name + "'");
        }
        return v;
    }
}
