package io.sluice.client;

/** No follower satisfied a read within its policy's wait, and the policy forbids the primary. */
public final class ReadUnavailableException extends java.sql.SQLException {
    public ReadUnavailableException(String message) {
        super(message, "57014");
    }
}
