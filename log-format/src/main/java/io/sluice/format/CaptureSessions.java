package io.sluice.format;

/**
 * The {@code application_name} capture gives its sessions on the primary: what the primary's
 * {@code synchronous_standby_names} lists, what promotion looks for, and what the lag monitor reads
 * to know that capture is reading its slot (docs/capture.md).
 */
public final class CaptureSessions {

    private CaptureSessions() {
    }

    /** Capture's walsender, which streams the slot. */
    public static String walsender(String sourceId) {
        return "sluice_capture_" + SourceId.require(sourceId);
    }

    /**
     * Capture reading a backlog through SQL ({@code pg_logical_slot_peek_binary_changes}): a plain
     * session, so never a synchronous standby; the slot is held only while each chunk is decoded.
     */
    public static String catchUp(String sourceId) {
        return "sluice_catchup_" + SourceId.require(sourceId);
    }
}
