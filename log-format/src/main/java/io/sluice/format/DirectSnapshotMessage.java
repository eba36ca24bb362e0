package io.sluice.format;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The marker of a snapshot taken by the direct path (FORMAT.md, *Direct snapshots*): capture
 * copied the snapshot's rows straight from the primary into the named followers, so the snapshot
 * frame carries the tables' definitions but none of their rows. A transactional
 * {@link ChangeEvent.Message} with prefix {@link #PREFIX} inside the snapshot frame; its content is
 * the followers' names, one per line, in UTF-8.
 *
 * <p>A follower named here holds the rows and a watermark at the frame's commit LSN, so it skips
 * the frame. Any other consumer that reaches the frame cannot rebuild the rows from the stream and
 * must stop rather than continue without them.
 */
public record DirectSnapshotMessage(List<String> followers) {

    /** The message prefix of the marker. */
    public static final String PREFIX = "sluice.snapshot.direct";

    public DirectSnapshotMessage {
        followers = List.copyOf(followers);
        if (followers.isEmpty()) {
            throw new IllegalArgumentException("a direct snapshot names at least one follower");
        }
        for (String f : followers) {
            if (f.isEmpty() || f.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("follower name '" + f + "' is empty or holds a line break");
            }
        }
    }

    /** The marker event at {@code header}, a position inside the snapshot frame. */
    public ChangeEvent.Message toEvent(EventHeader header) {
        return new ChangeEvent.Message(header, true, PREFIX, String.join("\n", followers).getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code m} is such a marker. */
    public static boolean is(ChangeEvent.Message m) {
        return m.transactional() && m.prefix().equals(PREFIX);
    }

    /** Reads a marker's content. */
    public static DirectSnapshotMessage parse(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        try {
            return new DirectSnapshotMessage(Arrays.asList(text.split("\n", -1)));
        } catch (IllegalArgumentException e) {
            throw new FormatException("bad " + PREFIX + " message: " + e.getMessage());
        }
    }
}
