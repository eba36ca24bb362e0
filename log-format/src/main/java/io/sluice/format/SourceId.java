package io.sluice.format;

/**
 * Checks source ids: the name of one captured primary database, used in topic names, tokens and
 * watermarks. Lower-case letters, digits and {@code _}, starting with a letter, at most 63
 * characters, so it is safe in a Kafka topic name, an HTTP header and a SQL identifier alike.
 */
public final class SourceId {

    /**
     * The last id found valid. Every event header checks its source, and the headers of one stream
     * carry the same String instance, so the check is by identity first; a racing thread reads an
     * older id at worst (Strings are immutable) and checks in full.
     */
    private static String lastValid;

    private SourceId() {
    }

    /** {@code [a-z][a-z0-9_]{0,62}}, checked by hand: it runs for every event decoded. */
    public static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > 63) {
            return false;
        }
        char first = id.charAt(0);
        if (first < 'a' || first > 'z') {
            return false;
        }
        for (int i = 1; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Returns {@code id} or throws naming what a source id may contain. */
    public static String require(String id) {
        if (id != null && id == lastValid) {
            return id;
        }
        if (!isValid(id)) {
            throw new IllegalArgumentException("invalid source id '" + id
                    + "': use 1-63 lower-case letters, digits or '_', starting with a letter");
        }
        lastValid = id;
        return id;
    }
}
