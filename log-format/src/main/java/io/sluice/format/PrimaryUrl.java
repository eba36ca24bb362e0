package io.sluice.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A primary's JDBC URL as every part of Sluice reads it: one host, or the primary and its
 * standbys in pgjdbc's multi-host form, {@code jdbc:postgresql://pg-a:5432,pg-b:5432/db?…}, of
 * which only the host that is the primary now is written to or captured from (docs/capture.md,
 * "Failover"). Capture and the lag monitor share this one reading.
 */
public final class PrimaryUrl {

    private static final String PREFIX = "jdbc:postgresql://";

    private PrimaryUrl() {
    }

    /** The URL's hosts as {@code host:port} (or {@code host}), in order; empty for a URL without hosts. */
    public static List<String> hosts(String jdbcUrl) {
        if (!jdbcUrl.startsWith(PREFIX)) {
            return List.of();
        }
        String hosts = jdbcUrl.substring(PREFIX.length()).split("[/?]", 2)[0];
        List<String> list = new ArrayList<>();
        for (String h : hosts.split(",")) {
            if (!h.isBlank()) {
                list.add(h.trim());
            }
        }
        return List.copyOf(list);
    }

    /** The same URL naming only {@code host}: to ask one candidate, say a standby, about itself. */
    public static String withOnlyHost(String jdbcUrl, String host) {
        String rest = jdbcUrl.substring(PREFIX.length());
        int end = 0;
        while (end < rest.length() && rest.charAt(end) != '/' && rest.charAt(end) != '?') {
            end++;
        }
        return PREFIX + host + rest.substring(end);
    }

    /**
     * The connection properties for reaching the primary: with several hosts, pgjdbc's
     * {@code targetServerType=primary} (unless set) and a recheck of the hosts' roles every second,
     * so a promoted standby is found soon after a failover.
     */
    public static Properties primaryOnly(String jdbcUrl, Properties properties) {
        Properties p = new Properties();
        p.putAll(properties);
        if (hosts(jdbcUrl).size() > 1 && !p.containsKey("targetServerType")) {
            p.setProperty("targetServerType", "primary");
            p.putIfAbsent("hostRecheckSeconds", "1");
        }
        return p;
    }
}
