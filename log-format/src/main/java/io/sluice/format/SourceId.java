package io.sluice.format;

import java.util.regex.Pattern;

/**
 * Checks source ids: the name of one captured primary database, used in topic names, tokens and
 * watermarks. Lower-case letters, digits and {@code _}, starting with a letter, at most 63
 * characters, so it is safe in a Kafka topic name, an HTTP header and a SQL identifier alike.
 */
public final class SourceId {

    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    private SourceId() {
    }

    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches();
    }

    /** Returns {@code id} or throws naming what a source id may contain. */
    public static String require(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("invalid source id '" + id
                    + "': use 1-63 lower-case letters, digits or '_', starting with a letter");
        }
        return id;
    }
}
