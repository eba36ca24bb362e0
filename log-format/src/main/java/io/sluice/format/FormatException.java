package io.sluice.format;

/**
 * A payload that cannot be decoded: malformed, truncated, of an unsupported format version, or
 * of an illegal shape. The message says what was wrong and where (byte offset and field); the
 * payload is never decoded to a partial or guessed event.
 */
public class FormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
