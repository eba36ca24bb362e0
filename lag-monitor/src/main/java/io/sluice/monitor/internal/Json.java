package io.sluice.monitor.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.format.Lsn;
import io.sluice.monitor.Alert;
import io.sluice.monitor.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/** The JSON of {@code GET /status} and of webhook alerts. Field names are snake_case, units in the name. */
public final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    public static byte[] alert(Alert a) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("v", 1);
            g.writeStringField("source", a.source());
            g.writeStringField("target", a.target());
            g.writeStringField("follower", a.follower());
            g.writeStringField("name", a.name());
            g.writeStringField("from", a.from().name());
            g.writeStringField("to", a.to().name());
            g.writeStringField("at", a.at().toString());
            g.writeStringField("reason", a.reason());
            g.writeNumberField("staleness_seconds", a.stalenessSeconds());
            g.writeBooleanField("recovery", a.recovery());
            g.writeEndObject();
        });
    }

    public static byte[] status(Status s) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("v", 1);
            g.writeStringField("source", s.source());
            g.writeStringField("at", s.at().toString());
            g.writeNumberField("evaluation", s.evaluation());
            g.writeObjectFieldStart("capture");
            stage(g, s.capture());
            Status.CaptureLag c = s.captureLag();
            lsn(g, "wal_lsn", c.walLsn());
            lsn(g, "decoded_lsn", c.decodedLsn());
            lsn(g, "captured_lsn", c.capturedLsn());
            g.writeNumberField("lag_bytes", c.lagBytes());
            g.writeNumberField("staleness_seconds", c.stalenessSeconds());
            g.writeNumberField("at_risk_bytes", c.atRiskBytes());
            g.writeNumberField("at_risk_transactions", c.atRiskTransactions());
            g.writeNumberField("write_rate_per_second", c.writeRate());
            g.writeNumberField("stream_end_offset", c.streamEndOffset());
            g.writeEndObject();
            g.writeObjectFieldStart("slot");
            stage(g, s.slot());
            g.writeBooleanField("active", c.slotActive());
            g.writeNumberField("retained_bytes", c.slotRetainedBytes());
            g.writeStringField("wal_status", c.slotWalStatus());
            g.writeEndObject();
            g.writeObjectFieldStart("stream");
            stage(g, s.stream());
            g.writeEndObject();
            failover(g, s);
            g.writeArrayFieldStart("promotion_decisions");
            for (Status.Decision d : s.promotionDecisions()) {
                g.writeStartObject();
                time(g, "at", d.at());
                g.writeStringField("level", d.level().name());
                g.writeStringField("decision", d.text());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("followers");
            for (Status.Follower f : s.followers()) {
                g.writeStartObject();
                g.writeStringField("name", f.name());
                g.writeStringField("mode", f.sync() ? "sync" : "async");
                g.writeStringField("state", f.state().name());
                time(g, "since", f.since());
                g.writeStringField("reason", f.reason());
                g.writeNumberField("staleness_seconds", f.stalenessSeconds());
                g.writeNumberField("at_risk_bytes", f.atRiskBytes());
                g.writeNumberField("at_risk_transactions", f.atRiskTransactions());
                g.writeObjectFieldStart("watermark");
                lsn(g, "commit_lsn", f.watermarkLsn());
                if (f.watermarkXid() != null) {
                    g.writeNumberField("xid", f.watermarkXid());
                } else {
                    g.writeNullField("xid");
                }
                time(g, "commit_time", f.watermarkCommitTime());
                g.writeNumberField("epoch", f.epoch());
                if (f.promotedFollower() != null) {
                    g.writeStringField("epoch_promoted_follower", f.promotedFollower());
                }
                g.writeEndObject();
                g.writeObjectFieldStart("conflicts");
                for (java.util.Map.Entry<String, Long> kind : f.conflicts().entrySet()) {
                    g.writeNumberField(kind.getKey(), kind.getValue());
                }
                g.writeEndObject();
                g.writeObjectFieldStart("transport");
                stage(g, f.transport());
                g.writeNumberField("consumed_offset", f.consumedOffset());
                g.writeNumberField("lag_records", f.transportLagRecords());
                g.writeNumberField("staleness_seconds", f.transportStalenessSeconds());
                g.writeEndObject();
                g.writeObjectFieldStart("apply");
                stage(g, f.apply());
                g.writeNumberField("lag_bytes", f.applyLagBytes());
                g.writeNumberField("staleness_seconds", f.applyStalenessSeconds());
                g.writeEndObject();
                Status.LatencySummary l = f.latency();
                g.writeObjectFieldStart("latency_seconds");
                g.writeNumberField("samples", l.count());
                g.writeNumberField("p50", l.p50());
                g.writeNumberField("p95", l.p95());
                g.writeNumberField("p99", l.p99());
                g.writeNumberField("max", l.max());
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** {@code "failover"}: null before PostgreSQL 17 (or while the primary is unreachable). */
    private static void failover(JsonGenerator g, Status s) throws IOException {
        Status.Failover f = s.failover();
        if (f == null) {
            g.writeNullField("failover");
            return;
        }
        g.writeObjectFieldStart("failover");
        stage(g, s.standbys());
        if (f.failoverSlot() == null) {
            g.writeNullField("failover_slot");
        } else {
            g.writeBooleanField("failover_slot", f.failoverSlot());
        }
        g.writeArrayFieldStart("standby_slots");
        for (Status.StandbySlot sl : f.standbySlots()) {
            g.writeStartObject();
            g.writeStringField("name", sl.name());
            g.writeBooleanField("in_synchronized_standby_slots", sl.listed());
            g.writeBooleanField("exists", sl.exists());
            g.writeBooleanField("active", sl.active());
            g.writeNumberField("behind_bytes", sl.behindBytes());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("standbys");
        for (Status.Standby sb : f.standbys()) {
            g.writeStartObject();
            g.writeStringField("host", sb.host());
            g.writeBooleanField("reachable", sb.reachable());
            g.writeBooleanField("slot_synced", sb.slotSynced());
            lsn(g, "slot_confirmed_lsn", sb.slotConfirmedLsn());
            g.writeStringField("error", sb.error());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void stage(JsonGenerator g, Status.Stage st) throws IOException {
        g.writeStringField("state", st.state().name());
        time(g, "since", st.since());
        g.writeStringField("reason", st.reason());
    }

    private static void lsn(JsonGenerator g, String field, Lsn lsn) throws IOException {
        g.writeStringField(field, lsn == null ? null : lsn.toString());
    }

    private static void time(JsonGenerator g, String field, Instant t) throws IOException {
        g.writeStringField(field, t == null ? null : t.toString());
    }

    /** The answer of {@code GET /await}. */
    public static byte[] await(boolean satisfied, String follower, String token, double waitedMs) {
        return write(g -> {
            g.writeStartObject();
            g.writeBooleanField("satisfied", satisfied);
            g.writeStringField("follower", follower);
            g.writeStringField("token", token);
            g.writeNumberField("waited_ms", waitedMs);
            g.writeEndObject();
        });
    }

    /** One small JSON object: {@code {"error": "..."}} and the like. */
    public static byte[] object(String... keyValues) {
        return write(g -> {
            g.writeStartObject();
            for (int i = 0; i + 1 < keyValues.length; i += 2) {
                g.writeStringField(keyValues[i], keyValues[i + 1]);
            }
            g.writeEndObject();
        });
    }

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
