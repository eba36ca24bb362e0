package io.sluice.format;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A promotion (FORMAT.md, "Epochs"): from here on the stream carries the changes of a new
 * primary, the follower {@link #follower} whose cluster has system identifier
 * {@link #primarySystemId}, under epoch {@link #epoch}. On the stream it is a non-transactional
 * {@link ChangeEvent.Message} with prefix {@link #PREFIX} whose header carries the new epoch; the
 * same content, completed once the promotion is done, is the epoch's record on the epochs topic
 * ({@link TopicNames#epochs}).
 *
 * <p>Every consumer meets the marker at the same offset, so all agree on the cut: what stands
 * before it is the old primary's history, what follows in the new epoch is the new primary's, and
 * a frame of an older epoch after it comes from a capture of a replaced primary and is refused.
 *
 * @param forkLsn  the commit LSN of the last transaction of the previous epoch before the marker:
 *                 what the old primary committed after it is lost to the new history (null until
 *                 the promoted follower has applied up to the marker)
 * @param startLsn where the new primary's capture starts, its slot's position (null until made)
 * @param markerOffset the marker's offset on the stream (-1 until written): records of an older
 *                 epoch after it were refused, and are lost writes of the replaced primary
 */
public record EpochMarker(long epoch, String primarySystemId, String follower, Instant promotedAt, Lsn forkLsn,
                          Lsn startLsn, long markerOffset) {

    /** The message prefix of the marker. */
    public static final String PREFIX = "sluice.epoch";

    public EpochMarker {
        if (epoch < 1) {
            throw new IllegalArgumentException("an epoch marker starts epoch 1 or later, not " + epoch);
        }
        if (primarySystemId == null || !primarySystemId.matches("[0-9]{1,20}")) {
            throw new IllegalArgumentException("primary system identifier '" + primarySystemId + "' is not a number");
        }
        if (follower == null || !follower.matches("[A-Za-z0-9_.-]{1,63}")) {
            throw new IllegalArgumentException("follower name '" + follower + "' is not 1-63 of [A-Za-z0-9_.-]");
        }
        Objects.requireNonNull(promotedAt, "promotedAt");
    }

    /** A new epoch's marker, before it is written. */
    public EpochMarker(long epoch, String primarySystemId, String follower, Instant promotedAt) {
        this(epoch, primarySystemId, follower, promotedAt, null, null, -1);
    }

    /** The same marker with its offset, the fork point and the new primary's start known. */
    public EpochMarker completed(long offset, Lsn fork, Lsn start) {
        return new EpochMarker(epoch, primarySystemId, follower, promotedAt, fork, start, offset);
    }

    /** The marker event of {@code source}'s stream. */
    public ChangeEvent.Message toEvent(String source) {
        return new ChangeEvent.Message(new EventHeader(source, Lsn.ZERO, 0, promotedAt, 0, epoch), false, PREFIX, content());
    }

    /** Whether {@code m} is a marker. */
    public static boolean is(ChangeEvent.Message m) {
        return !m.transactional() && m.prefix().equals(PREFIX);
    }

    /** The content: UTF-8 {@code name=value} lines. */
    public byte[] content() {
        StringBuilder b = new StringBuilder()
                .append("epoch=").append(epoch).append('\n')
                .append("primary_system_id=").append(primarySystemId).append('\n')
                .append("follower=").append(follower).append('\n')
                .append("promoted_at=").append(promotedAt).append('\n');
        if (forkLsn != null) {
            b.append("fork_lsn=").append(forkLsn).append('\n');
        }
        if (startLsn != null) {
            b.append("start_lsn=").append(startLsn).append('\n');
        }
        if (markerOffset >= 0) {
            b.append("marker_offset=").append(markerOffset).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads a marker's content; unknown names are ignored (a later writer may add some). */
    public static EpochMarker parse(byte[] content) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new FormatException("bad " + PREFIX + " message: line '" + line + "' is not name=value");
            }
            fields.put(line.substring(0, eq), line.substring(eq + 1));
        }
        try {
            return new EpochMarker(Long.parseLong(required(fields, "epoch")), required(fields, "primary_system_id"),
                    required(fields, "follower"), Instant.parse(required(fields, "promoted_at")),
                    fields.containsKey("fork_lsn") ? Lsn.parse(fields.get("fork_lsn")) : null,
                    fields.containsKey("start_lsn") ? Lsn.parse(fields.get("start_lsn")) : null,
                    fields.containsKey("marker_offset") ? Long.parseLong(fields.get("marker_offset")) : -1);
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
    }

    private static String required(Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new FormatException("bad " + PREFIX + " message: no " + name);
        }
        return v;
    }
}
