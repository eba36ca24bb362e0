package io.sluice.cli.config;

import io.sluice.monitor.Rule;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code monitor.*} keys of a configuration file (docs/configuration.md): the HTTP endpoint,
 * webhooks, and the alert rules — {@code monitor.default.*}, from which capture's and each
 * follower's unset keys come, and the slot's, in bytes.
 */
final class MonitorSection {

    private static final Pattern MONITOR_FOLLOWER_KEY = Pattern.compile("monitor\\.followers\\.([^.]+)\\..+");

    private MonitorSection() {
    }

    /** The monitor's settings; {@code heartbeat}: capture's interval, which bounds the capture stall rule. */
    static SluiceConfig.Monitor read(ConfigKeys keys, Set<String> followerNames, Duration heartbeat) {
        String host = keys.string("monitor.http.host", ConfigParser.DEFAULT_MONITOR_HOST, null);
        int port = keys.integer("monitor.http.port", ConfigParser.DEFAULT_MONITOR_PORT, 0, 65535);
        Optional<Secret> token = Optional.ofNullable(keys.secret("monitor.http.token"));
        int maxWaits = keys.integer("monitor.http.max.waits", 64, 1, 10_000);
        Duration interval = keys.duration("monitor.evaluation.interval.ms", ConfigParser.DEFAULT_EVALUATION_INTERVAL, Duration.ofMillis(100));
        List<URI> webhooks = new ArrayList<>();
        for (String url : keys.list("monitor.webhook.urls", v -> v.matches("https?://\\S+") ? null
                : "'" + v + "' is not an http:// or https:// URL")) {
            webhooks.add(URI.create(url));
        }
        Duration webhookTimeout = keys.duration("monitor.webhook.timeout.ms", Duration.ofSeconds(5), Duration.ofMillis(1));
        int webhookRetries = keys.integer("monitor.webhook.retries", 3, 0, 100);
        Rule base = rule(keys, "monitor.default.", Rule.stalenessDefaults(), "the built-in default");
        Rule capture = rule(keys, "monitor.capture.", base, "monitor.default.*");
        if (!capture.stallAfter().isZero() && capture.stallAfter().compareTo(heartbeat.multipliedBy(2)) < 0) {
            keys.problem("monitor.capture.stall.ms", String.valueOf(capture.stallAfter().toMillis()),
                    "must be at least twice capture.heartbeat.interval.ms (" + heartbeat.toMillis() + "): an idle"
                            + " stream only moves once a heartbeat");
        }
        Rule slotDefaults = Rule.slotDefaults();
        long slotWarn = keys.longValue("monitor.slot.warn.bytes", (long) slotDefaults.warn(), 0);
        long slotCrit = keys.longValue("monitor.slot.crit.bytes", (long) slotDefaults.crit(), 0);
        Duration slotStall = keys.duration("monitor.slot.stall.ms", slotDefaults.stallAfter(), Duration.ZERO);
        if (slotWarn > slotCrit) {
            keys.problem("monitor.slot.warn.bytes", String.valueOf(slotWarn), "above monitor.slot.crit.bytes (" + slotCrit + ")");
        }
        Rule slot = slotWarn > slotCrit ? slotDefaults : new Rule(Rule.Unit.BYTES, slotWarn, slotCrit, slotDefaults.forDuration(),
                slotDefaults.clearRatio(), slotDefaults.clearFor(), slotStall, base.offlineAfter());
        Map<String, Rule> perFollower = new LinkedHashMap<>();
        for (String name : followerNames) {
            perFollower.put(name, rule(keys, "monitor.followers." + name + ".", base, "monitor.default.*"));
        }
        for (String key : keys.values.keySet()) {
            Matcher m = MONITOR_FOLLOWER_KEY.matcher(key);
            if (m.matches() && !followerNames.contains(m.group(1))) {
                keys.used.add(key);
                keys.problem(key, keys.values.get(key), "no follower '" + m.group(1) + "' is configured"
                        + (followerNames.isEmpty() ? "" : " (followers: " + String.join(", ", followerNames) + ")"));
            }
        }
        return new SluiceConfig.Monitor(host, port, interval, token, maxWaits, webhooks, webhookTimeout, webhookRetries,
                capture, slot, perFollower);
    }

    /**
     * A staleness rule under {@code prefix}: {@code warn.ms}, {@code crit.ms}, {@code for.ms},
     * {@code clear.ratio}, {@code clear.for.ms}, {@code stall.ms}, {@code offline.ms}; unset keys
     * come from {@code fallback}.
     */
    private static Rule rule(ConfigKeys keys, String prefix, Rule fallback, String inherited) {
        Duration warn = keys.duration(prefix + "warn.ms", millis(fallback.warn()), Duration.ZERO);
        Duration crit = keys.duration(prefix + "crit.ms", millis(fallback.crit()), Duration.ZERO);
        Duration forDuration = keys.duration(prefix + "for.ms", fallback.forDuration(), Duration.ZERO);
        double clearRatio = keys.ratio(prefix + "clear.ratio", fallback.clearRatio());
        Duration clearFor = keys.duration(prefix + "clear.for.ms", fallback.clearFor(), Duration.ZERO);
        Duration stall = keys.duration(prefix + "stall.ms", fallback.stallAfter(), Duration.ZERO);
        Duration offline = keys.duration(prefix + "offline.ms", fallback.offlineAfter(), Duration.ZERO);
        if (warn.compareTo(crit) > 0) {
            boolean warnSet = keys.values.containsKey(prefix + "warn.ms");
            boolean critSet = keys.values.containsKey(prefix + "crit.ms");
            String reason = "WARN (" + warn.toMillis() + " ms) is above CRIT (" + crit.toMillis() + " ms)";
            if (warnSet) {
                keys.problem(prefix + "warn.ms", String.valueOf(warn.toMillis()), reason
                        + (critSet ? "" : "; crit comes from " + inherited));
            }
            if (critSet) {
                keys.problem(prefix + "crit.ms", String.valueOf(crit.toMillis()), reason
                        + (warnSet ? "" : "; warn comes from " + inherited));
            }
            return fallback;
        }
        return new Rule(Rule.Unit.SECONDS, warn.toMillis() / 1000.0, crit.toMillis() / 1000.0, forDuration, clearRatio,
                clearFor, stall, offline);
    }

    private static Duration millis(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }
}
