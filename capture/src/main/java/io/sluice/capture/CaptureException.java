package io.sluice.capture;

/**
 * Capture cannot start or cannot go on. {@link Kind#CONFIGURATION} means a setting or the primary's
 * configuration must change (the message names the setting and the fix); {@link Kind#FATAL} means
 * the pipeline stopped and must be restarted once the cause is fixed.
 */
public class CaptureException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind { CONFIGURATION, FATAL }

    private final Kind kind;

    public CaptureException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public CaptureException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
