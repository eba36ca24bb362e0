package io.sluice.cli.config;

import java.util.Objects;

/**
 * A secret configuration value (a password, a JAAS config). Its {@link #toString()} never shows
 * the value, so it cannot leak into a log, an error or another record's {@code toString()};
 * {@link #reveal()} is called only where the value is handed to a driver.
 *
 * @param source how the secret was given: {@code ${env:NAME}}, {@code ${file:PATH}} or
 *               {@code <literal>}; safe to show
 */
public record Secret(String source, String value) {

    public Secret {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(value, "value");
    }

    public String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "Secret[" + source + "]";
    }
}
