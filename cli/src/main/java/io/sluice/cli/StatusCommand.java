package io.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.cli.config.ConfigException;
import io.sluice.cli.config.ConfigParser;
import io.sluice.cli.config.Secret;
import io.sluice.cli.config.SluiceConfig;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice status}: the lag monitor's /status as a table in the terminal. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Print every stage's and follower's state and lag, read from a running lag monitor.")
final class StatusCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "configuration file (the monitor's address and token)")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "the monitor's base URL (default: from --config, else http://127.0.0.1:9464)")
    String url;

    @Option(names = "--watch", description = "refresh every --interval until Ctrl-C")
    boolean watch;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "2", description = "refresh period with --watch (default: ${DEFAULT-VALUE})")
    double interval;

    @Override
    public Integer call() throws Exception {
        String base = url;
        Optional<String> token = Optional.ofNullable(System.getenv("SLUICE_MONITOR_TOKEN"));
        if (config != null) {
            try {
                SluiceConfig cfg = new ConfigParser().parse(config);
                if (base == null) {
                    base = "http://" + cfg.monitor().httpHost() + ":" + cfg.monitor().httpPort();
                }
                if (token.isEmpty()) {
                    token = cfg.monitor().httpToken().map(Secret::reveal);
                }
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return 2;
            }
        }
        if (base == null) {
            base = "http://127.0.0.1:" + ConfigParser.DEFAULT_MONITOR_PORT;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + "/status"))
                .timeout(Duration.ofSeconds(5)).GET();
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        do {
            HttpResponse<String> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                System.err.println("no lag monitor answers at " + base + " (start one with 'sluice monitor --config FILE'"
                        + " or 'sluice demo')");
                return 1;
            }
            if (response.statusCode() != 200) {
                System.err.println(base + "/status answered " + response.statusCode() + ": " + response.body());
                return 1;
            }
            if (watch) {
                System.out.print("\033[H\033[2J");
            }
            print(new ObjectMapper().readTree(response.body()), System.out);
            System.out.flush();
            if (watch) {
                Thread.sleep((long) (interval * 1000));
            }
        } while (watch);
        return 0;
    }

    static void print(JsonNode s, PrintStream out) {
        out.printf("source %s   at %s   evaluation %d%n%n", s.path("source").asText(), s.path("at").asText(),
                s.path("evaluation").asLong());
        JsonNode c = s.path("capture");
        JsonNode slot = s.path("slot");
        out.printf("%-10s %-8s %-21s %s%n", "STAGE", "STATE", "SINCE", "DETAIL");
        out.printf("%-10s %-8s %-21s staleness %s, %s not on Kafka (%d tx at risk), %.1f write tx/s%n", "capture",
                c.path("state").asText(), time(c.path("since")), secs(c.path("staleness_seconds").asDouble()),
                bytes(c.path("lag_bytes").asLong()), c.path("at_risk_transactions").asLong(),
                c.path("write_rate_per_second").asDouble());
        out.printf("%-10s %-8s %-21s %s, retains %s WAL%s%n", "slot", slot.path("state").asText(), time(slot.path("since")),
                slot.path("active").asBoolean() ? "active" : "INACTIVE", bytes(slot.path("retained_bytes").asLong()),
                slot.path("wal_status").isNull() ? "" : " (" + slot.path("wal_status").asText() + ")");
        JsonNode st = s.path("stream");
        out.printf("%-10s %-8s %-21s end offset %d%n", "stream", st.path("state").asText(), time(st.path("since")),
                c.path("stream_end_offset").asLong());
        JsonNode fo = s.path("failover");
        if (fo.isObject()) {
            out.printf("%-10s %-8s %-21s %s%n", "standbys", fo.path("state").asText(), time(fo.path("since")), standbys(fo));
        }
        for (JsonNode stage : new JsonNode[] {c, slot, st, fo}) {
            if (!"OK".equals(stage.path("state").asText())) {
                out.printf("           %s%n", stage.path("reason").asText());
            }
        }
        for (JsonNode d : s.path("promotion_decisions")) {
            out.printf("%-14s %-8s %-21s %s%n", "promote --auto", d.path("level").asText(), time(d.path("at")),
                    d.path("decision").asText());
        }
        out.println();
        out.printf("%-12s %-5s %-8s %-21s %-10s %-16s %-10s %-18s %s%n", "FOLLOWER", "MODE", "STATE", "SINCE", "STALENESS",
                "TRANSPORT", "APPLY", "LATENCY p50/p99", "AT RISK");
        for (JsonNode f : s.path("followers")) {
            JsonNode t = f.path("transport");
            JsonNode a = f.path("apply");
            JsonNode l = f.path("latency_seconds");
            out.printf("%-12s %-5s %-8s %-21s %-10s %-16s %-10s %-18s %d tx, %s%n", f.path("name").asText(),
                    f.path("mode").asText(), f.path("state").asText(), time(f.path("since")),
                    secs(f.path("staleness_seconds").asDouble()), t.path("lag_records").asLong() + " records",
                    secs(a.path("staleness_seconds").asDouble()),
                    l.path("samples").asLong() == 0 ? "-" : ms(l.path("p50").asDouble()) + " / " + ms(l.path("p99").asDouble()),
                    f.path("at_risk_transactions").asLong(), bytes(f.path("at_risk_bytes").asLong()));
            if (!"OK".equals(f.path("state").asText())) {
                out.printf("             %s%n", f.path("reason").asText());
            }
            if (f.path("conflicts").size() > 0) {
                StringBuilder kinds = new StringBuilder();
                f.path("conflicts").fields().forEachRemaining(k -> kinds.append(kinds.length() == 0 ? "" : ", ")
                        .append(k.getKey()).append(' ').append(k.getValue().asLong()));
                out.printf("             conflicts: %s%n", kinds);
            }
            JsonNode w = f.path("watermark");
            if (w.path("epoch").asLong() > 0) {
                out.printf("             epoch %d: follower %s was promoted to primary%n", w.path("epoch").asLong(),
                        w.path("epoch_promoted_follower").asText("?"));
            }
        }
    }

    /** The failover line: whether the slot can follow a promotion, and to which standby. */
    static String standbys(JsonNode f) {
        StringBuilder b = new StringBuilder(f.path("failover_slot").asBoolean() ? "failover slot" : "NOT a failover slot");
        for (JsonNode sb : f.path("standbys")) {
            b.append("; ").append(sb.path("host").asText()).append(": ").append(!sb.path("reachable").asBoolean() ? "unreachable"
                    : sb.path("slot_synced").asBoolean() ? "slot synced to " + sb.path("slot_confirmed_lsn").asText()
                    : "NO synced slot");
        }
        for (JsonNode sl : f.path("standby_slots")) {
            b.append("; slot ").append(sl.path("name").asText())
                    .append(sl.path("in_synchronized_standby_slots").asBoolean() ? " (waited for)" : " (not waited for)")
                    .append(sl.path("active").asBoolean() ? "" : " INACTIVE");
        }
        return b.toString();
    }

    private static String time(JsonNode t) {
        String v = t.asText("");
        return v.length() >= 19 ? v.substring(0, 19).replace('T', ' ') : v;
    }

    private static String secs(double s) {
        return s >= 10 ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String ms(double s) {
        return String.format(Locale.ROOT, "%.0f ms", s * 1000);
    }

    private static String bytes(long b) {
        return io.sluice.monitor.Bytes.human(b);
    }
}
