package io.sluice.monitor.internal;

import io.sluice.monitor.SelfStats;
import io.sluice.monitor.State;
import io.sluice.monitor.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /metrics}: the Prometheus text exposition format 0.0.4. Every family has HELP and
 * TYPE; names carry their unit ({@code _seconds}, {@code _bytes}) and counters end in
 * {@code _total}. Each family is documented in docs/operations.md (a test checks).
 */
public final class Metrics {

    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Map<String, Family> families = new LinkedHashMap<>();

    private record Sample(String suffix, String labels, double value) { }

    private static final class Family {
        final String type;
        final String help;
        final List<Sample> samples = new ArrayList<>();

        Family(String type, String help) {
            this.type = type;
            this.help = help;
        }
    }

    private Family family(String name, String type, String help) {
        return families.computeIfAbsent(name, n -> new Family(type, help));
    }

    private void gauge(String name, String help, double value, String... labels) {
        family(name, "gauge", help).samples.add(new Sample("", labels(labels), value));
    }

    private void counter(String name, String help, double value, String... labels) {
        family(name + "_total", "counter", help).samples.add(new Sample("", labels(labels), value));
    }

    public static String render(Status s, SelfStats self) {
        Metrics m = new Metrics();
        if (s != null) {
            m.status(s);
        }
        m.self(self, s == null ? "" : s.source());
        return m.text();
    }

    private void status(Status s) {
        String src = s.source();
        Status.CaptureLag c = s.captureLag();
        gauge("sluice_capture_lag_bytes", "WAL written on the primary and not yet on the stream.", c.lagBytes(), "source", src);
        gauge("sluice_capture_staleness_seconds", "Age of the oldest primary WAL capture has not decoded; 0 when caught up.",
                c.stalenessSeconds(), "source", src);
        gauge("sluice_capture_at_risk_bytes", "WAL committed on the primary and not durable on Kafka (lost with the primary).",
                c.atRiskBytes(), "source", src);
        gauge("sluice_capture_at_risk_transactions", "Write transactions at risk with the primary: write rate x capture staleness.",
                c.atRiskTransactions(), "source", src);
        gauge("sluice_primary_write_transactions_per_second", "Write transactions per second on the primary (transaction ids"
                + " consumed, averaged over 60 s).", c.writeRate(), "source", src);
        gauge("sluice_slot_retained_wal_bytes", "WAL the capture slot keeps on the primary's disk.", c.slotRetainedBytes(),
                "source", src);
        gauge("sluice_slot_active", "1 when capture is connected to its slot.", c.slotActive() ? 1 : 0, "source", src);
        gauge("sluice_stream_end_offset", "The stream's end offset on Kafka (-1 when unknown).", c.streamEndOffset(), "source", src);
        state(src, "capture", "", s.capture().state());
        state(src, "slot", "", s.slot().state());
        state(src, "stream", "", s.stream().state());
        if (s.failover() != null) {
            state(src, "standbys", "", s.standbys().state());
        }
        for (Status.Follower f : s.followers()) {
            String n = f.name();
            gauge("sluice_follower_staleness_seconds", "End to end: age of the oldest primary commit the follower does not show;"
                    + " 0 when caught up.", f.stalenessSeconds(), "source", src, "follower", n);
            gauge("sluice_follower_at_risk_bytes", "WAL committed on the primary and not applied on the follower.",
                    f.atRiskBytes(), "source", src, "follower", n);
            gauge("sluice_follower_at_risk_transactions", "Write transactions not on the follower: write rate x staleness.",
                    f.atRiskTransactions(), "source", src, "follower", n);
            gauge("sluice_transport_lag_records", "Stream records the follower's applier has not consumed.",
                    f.transportLagRecords(), "source", src, "follower", n);
            gauge("sluice_transport_staleness_seconds", "Age of the oldest transaction on the stream the applier has not consumed.",
                    f.transportStalenessSeconds(), "source", src, "follower", n);
            gauge("sluice_apply_lag_bytes", "Source WAL between the follower's watermark and the stream's newest position.",
                    f.applyLagBytes(), "source", src, "follower", n);
            gauge("sluice_apply_staleness_seconds", "Age of the oldest transaction on the stream not applied; 0 when caught up.",
                    f.applyStalenessSeconds(), "source", src, "follower", n);
            if (f.watermarkCommitTime() != null) {
                gauge("sluice_follower_watermark_commit_timestamp_seconds", "Primary commit time of the follower's last applied"
                        + " transaction (Unix time).", f.watermarkCommitTime().toEpochMilli() / 1000.0, "source", src, "follower", n);
            }
            Status.LatencySummary l = f.latency();
            Family h = family("sluice_end_to_end_latency_seconds", "histogram",
                    "Primary commit to follower commit, sampled from the watermark each evaluation it moved.");
            String base = "source=\"" + escape(src) + "\",follower=\"" + escape(n) + "\"";
            for (int i = 0; i < l.bucketBounds().length; i++) {
                h.samples.add(new Sample("_bucket", "{" + base + ",le=\"" + number(l.bucketBounds()[i]) + "\"}",
                        l.cumulativeBuckets()[i]));
            }
            h.samples.add(new Sample("_bucket", "{" + base + ",le=\"+Inf\"}", l.count()));
            h.samples.add(new Sample("_sum", "{" + base + "}", l.sumSeconds()));
            h.samples.add(new Sample("_count", "{" + base + "}", l.count()));
            for (java.util.Map.Entry<String, Long> kind : f.conflicts().entrySet()) {
                counter("sluice_follower_conflicts", "Conflicts a leader's applier met and resolved, by kind (PostgreSQL 18's"
                        + " names; docs/multi-leader.md).", kind.getValue(), "source", src, "follower", n, "kind", kind.getKey());
            }
            state(src, "transport", n, f.transport().state());
            state(src, "apply", n, f.apply().state());
            state(src, "follower", n, f.state());
        }
    }

    private void state(String src, String stage, String follower, State current) {
        for (State st : State.values()) {
            gauge("sluice_state", "1 for the current state of each stage (capture, slot, stream) and follower (transport,"
                    + " apply, follower = the worse of both).", st == current ? 1 : 0, "source", src, "stage", stage,
                    "follower", follower, "state", st.label());
        }
    }

    private void self(SelfStats self, String src) {
        counter("sluice_monitor_evaluations", "Lag evaluations run.", self.evaluations(), "source", src);
        counter("sluice_monitor_queries", "Queries the monitor issued, by target.", self.primaryQueries(), "source", src,
                "target", "primary");
        counter("sluice_monitor_queries", "", self.followerQueries(), "source", src, "target", "followers");
        counter("sluice_monitor_queries", "", self.kafkaRequests(), "source", src, "target", "kafka");
        gauge("sluice_monitor_evaluation_seconds", "How long the last evaluation took.", self.lastEvaluationSeconds(),
                "source", src);
        counter("sluice_monitor_webhook_deliveries", "Webhook deliveries, by outcome.", self.webhookSent(), "source", src,
                "outcome", "sent");
        counter("sluice_monitor_webhook_deliveries", "", self.webhookFailed(), "source", src, "outcome", "failed");
        counter("sluice_monitor_webhook_deliveries", "", self.webhookDropped(), "source", src, "outcome", "dropped");
        family("sluice_alerts_total", "counter", "Alerts sent, by target and the state entered.");
        self.alerts().forEach((key, count) -> {
            String[] parts = key.split("\\|", 2);
            counter("sluice_alerts", "", count, "source", src, "target", parts[0], "state", parts[1]);
        });
    }

    private String text() {
        StringBuilder b = new StringBuilder(8192);
        families.forEach((name, f) -> {
            if (f.samples.isEmpty()) {
                return;
            }
            b.append("# HELP ").append(name).append(' ').append(f.help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
            b.append("# TYPE ").append(name).append(' ').append(f.type).append('\n');
            for (Sample s : f.samples) {
                b.append(name).append(s.suffix()).append(s.labels()).append(' ').append(number(s.value())).append('\n');
            }
        });
        return b.toString();
    }

    private static String labels(String... kv) {
        if (kv.length == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(kv[i]).append("=\"").append(escape(kv[i + 1])).append('"');
        }
        return b.append('}').toString();
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%s", v);
    }
}
