package io.sluice.cli.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration's keys read as typed values: each read marks the key known, a value that does
 * not parse or check becomes a problem naming key, value and reason (all of them reported
 * together), and the keys nobody read are refused at the end ({@link #rejectUnknown}). Secrets may
 * be {@code ${env:NAME}} or {@code ${file:PATH}} references. Not thread-safe.
 */
final class ConfigKeys {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]+)}");

    private static final Pattern SECRET_LOOKING = Pattern.compile("(?i)pas|pw|word|secret|jaas|token|credential|key$");

    private final Function<String, String> environment;

    final Map<String, String> values;
    final Set<String> used = new HashSet<>();
    /** Every key read, with its default as docs/configuration.md writes it ("" for none); a pass-through as {@code prefix*}. */
    final Map<String, String> defaults = new TreeMap<>();
    final List<String> problems = new ArrayList<>();

    ConfigKeys(Map<String, String> values, Function<String, String> environment) {
        this.values = values;
        this.environment = environment;
    }

    void problem(String key, String value, String reason) {
        problems.add(key + "=" + value + ": " + reason);
    }

    /** The value, or {@code fallback} when absent; {@code check} returns a reason or null. */
    String string(String key, String fallback, Function<String, String> check) {
        used.add(key);
        defaults.putIfAbsent(key, fallback == null ? "" : fallback);
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.isEmpty()) {
            problem(key, v, "empty value; remove the key to use the default"
                    + (fallback == null ? "" : " (" + fallback + ")"));
            return fallback;
        }
        if (REFERENCE.matcher(v).find()) {
            problem(key, v, "${env:…} and ${file:…} references are for secrets (passwords, sasl.jaas.config) only");
            return fallback;
        }
        String reason = check == null ? null : check.apply(v);
        if (reason != null) {
            problem(key, v, reason);
            return fallback;
        }
        return v;
    }

    Secret secret(String key) {
        used.add(key);
        defaults.putIfAbsent(key, "");
        String v = values.get(key);
        if (v == null) {
            return null;
        }
        Matcher m = REFERENCE.matcher(v);
        if (!m.matches()) {
            return new Secret("<literal>", v);
        }
        String kind = m.group(1);
        String name = m.group(2);
        if (kind.equals("env")) {
            String resolved = environment.apply(name);
            if (resolved == null) {
                problem(key, v, "environment variable " + name + " is not set");
                return null;
            }
            return new Secret(v, resolved);
        }
        try {
            return new Secret(v, Files.readString(Path.of(name), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            problem(key, v, "cannot read secret file " + name + " (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    List<String> list(String key, Function<String, String> checkEach) {
        String v = string(key, "", null);
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            String item = part.strip();
            if (item.isEmpty()) {
                continue;
            }
            String reason = checkEach.apply(item);
            if (reason != null) {
                problem(key, v, reason);
            } else {
                out.add(item);
            }
        }
        return out;
    }

    int integer(String key, int fallback, int min, int max) {
        defaults.put(key, String.valueOf(fallback));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                problem(key, v, "must be between " + min + " and " + max);
                return fallback;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, v, "not a whole number");
            return fallback;
        }
    }

    boolean bool(String key, boolean fallback) {
        defaults.put(key, String.valueOf(fallback));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        if (!v.equals("true") && !v.equals("false")) {
            problem(key, v, "expected true or false");
            return fallback;
        }
        return Boolean.parseBoolean(v);
    }

    long longValue(String key, long fallback, long min) {
        defaults.put(key, String.valueOf(fallback));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n < min) {
                problem(key, v, "must be at least " + min);
                return fallback;
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, v, "not a whole number");
            return fallback;
        }
    }

    double ratio(String key, double fallback) {
        defaults.put(key, String.valueOf(fallback));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0 && d <= 1)) {
                problem(key, v, "must be more than 0 and at most 1");
                return fallback;
            }
            return d;
        } catch (NumberFormatException e) {
            problem(key, v, "not a number");
            return fallback;
        }
    }

    Duration duration(String key, Duration fallback, Duration min) {
        defaults.put(key, String.valueOf(fallback.toMillis()));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        try {
            long ms = Long.parseLong(v);
            if (ms < min.toMillis()) {
                problem(key, v, ms < 0 ? "a duration cannot be negative" : "must be at least " + min.toMillis() + " ms");
                return fallback;
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            problem(key, v, "not a whole number of milliseconds");
            return fallback;
        }
    }

    <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
        defaults.put(key, fallback.name().toLowerCase(Locale.ROOT));
        String v = string(key, null, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problem(key, v, "expected one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
            return fallback;
        }
    }

    Map<String, String> passThrough(String prefix) {
        defaults.put(prefix + "*", "");
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                used.add(k);
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    void rejectUnknown() {
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (!used.contains(e.getKey())) {
                String shown = SECRET_LOOKING.matcher(e.getKey()).find() ? "****" : e.getValue();
                problem(e.getKey(), shown, "unknown key (see docs/configuration.md for every key)");
            }
        }
    }
}
