package io.sluice.format.follower;

import io.sluice.format.FormatException;
import io.sluice.format.Lsn;
import java.util.Arrays;

/**
 * What a PostgreSQL follower's applier announces when it commits a group of source transactions:
 * a {@code NOTIFY} on {@link #CHANNEL} sent by the same follower transaction that moved the
 * watermark, so a listener hears of a group exactly when its rows become visible (FORMAT.md,
 * "Follower bookkeeping"). The payload is
 * {@code <source>,<last commit LSN>,<last xid>,<n>[,<xid> <xid> ...]}: the group's {@code n}
 * applied xids follow when they fit in PostgreSQL's 8000-byte payload; otherwise only the count
 * does ({@link #xids()} is null) and a waiter reads {@code sluice.applied_group}
 * ({@link AppliedGroups}).
 *
 * @param count the group's number of transactions; -1 when the applier did not say
 * @param xids  the group's xids, or null when they did not fit
 */
public record AppliedNotice(String source, Lsn lastCommitLsn, long lastXid, int count, long[] xids) {

    /** The channel followers' appliers notify on. */
    public static final String CHANNEL = "sluice_applied";

    /** Below PostgreSQL's 8000-byte payload limit, with room for the source name. */
    private static final int MAX_PAYLOAD = 7900;

    /** The payload for a group whose xids are {@code xids[0..count)}. */
    public static String encode(String source, Lsn lastCommitLsn, long lastXid, long[] xids, int count) {
        StringBuilder b = new StringBuilder(64 + count * 11).append(source).append(',').append(lastCommitLsn).append(',')
                .append(lastXid).append(',').append(count);
        int mark = b.length();
        b.append(',');
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                b.append(' ');
            }
            b.append(xids[i]);
            if (b.length() > MAX_PAYLOAD) {
                b.setLength(mark); // does not fit: the count alone says "read sluice.applied_group"
                break;
            }
        }
        return b.toString();
    }

    /**
     * Reads a payload back. An applier of before the count was added names only the last xid; that
     * reads as a group of unknown size ({@code count} -1) whose xids are not listed.
     */
    public static AppliedNotice parse(String payload) {
        String[] f = payload.split(",", 5);
        try {
            if (f.length == 3) {
                return new AppliedNotice(f[0], Lsn.parse(f[1]), Long.parseLong(f[2]), -1, null);
            }
            if (f.length < 4) {
                throw new FormatException("applied notice '" + payload + "' has " + f.length + " fields, expected at least 4");
            }
            long[] xids = f.length == 5 ? Arrays.stream(f[4].split(" ")).mapToLong(Long::parseLong).toArray() : null;
            return new AppliedNotice(f[0], Lsn.parse(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]), xids);
        } catch (IllegalArgumentException e) {
            throw new FormatException("applied notice '" + payload + "': " + e.getMessage(), e);
        }
    }
}
