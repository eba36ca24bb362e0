package io.sluice.cli.config;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where a PostgreSQL server is: {@code embedded} (started by Sluice on loopback) or a JDBC URL.
 *
 * @param jdbcUrl       empty when embedded
 * @param user          the login role; empty to use the URL's or the embedded superuser
 * @param password      empty when none is configured
 * @param driverOptions pgjdbc connection properties passed through as given (sslmode,
 *                      sslrootcert, …); secret ones are in {@code secretOptions}
 */
public record PostgresEndpoint(boolean embedded, String jdbcUrl, Optional<String> user, Optional<Secret> password,
                               Map<String, String> driverOptions, Map<String, Secret> secretOptions) {

    public PostgresEndpoint {
        driverOptions = Map.copyOf(driverOptions);
        secretOptions = Map.copyOf(secretOptions);
    }

    public static PostgresEndpoint embeddedDefault() {
        return new PostgresEndpoint(true, "", Optional.empty(), Optional.empty(), Map.of(), Map.of());
    }

    /** The properties for {@code DriverManager.getConnection(url, props)}, secrets revealed. */
    public Properties driverProperties() {
        Properties p = new Properties();
        user.ifPresent(u -> p.setProperty("user", u));
        password.ifPresent(s -> p.setProperty("password", s.reveal()));
        p.putAll(driverOptions);
        secretOptions.forEach((k, v) -> p.setProperty(k, v.reveal()));
        return p;
    }
}
