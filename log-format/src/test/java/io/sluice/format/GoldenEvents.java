package io.sluice.format;

import io.sluice.format.ChangeEvent.Begin;
import io.sluice.format.ChangeEvent.Commit;
import io.sluice.format.ChangeEvent.Delete;
import io.sluice.format.ChangeEvent.Heartbeat;
import io.sluice.format.ChangeEvent.Insert;
import io.sluice.format.ChangeEvent.Message;
import io.sluice.format.ChangeEvent.ReplicaIdentity;
import io.sluice.format.ChangeEvent.SchemaChange;
import io.sluice.format.ChangeEvent.Truncate;
import io.sluice.format.ChangeEvent.Update;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The events behind the checked-in golden files of format version 1, one file per event kind.
 * {@code main} writes them once; after a version is released its files never change.
 */
final class GoldenEvents {

    static final Instant COMMIT_TIME = Instant.parse("2026-11-23T20:15:30.123456Z");
    static final TableId ACCOUNTS = new TableId("public", "accounts");

    private GoldenEvents() {
    }

    static EventHeader header(long seq) {
        return new EventHeader("shop", Lsn.parse("0/1A2B3C4D"), 7431L, COMMIT_TIME, seq);
    }

    static Map<String, ChangeEvent> v1() {
        Map<String, ChangeEvent> events = new LinkedHashMap<>();
        events.put("begin", new Begin(header(0)));
        events.put("schema", new SchemaChange(header(1), ACCOUNTS, List.of(
                new Column("id", "bigint", false, true),
                new Column("owner", "character varying(40)", false, false),
                new Column("balance", "numeric(12,2)", false, false),
                new Column("tags", "text[]", true, false),
                new Column("doc", "jsonb", true, false)), ReplicaIdentity.DEFAULT));
        events.put("schema_enum", new SchemaChange(header(1), new TableId("public", "moods"), List.of(
                new Column("id", "integer", false, true),
                new Column("m", "mood", true, false, List.of("sad", "ok", "happy")),
                new Column("ms", "mood[]", true, false, List.of("sad", "ok", "happy"))), ReplicaIdentity.DEFAULT));
        events.put("insert", new Insert(header(2), ACCOUNTS, List.of("id"), allTypesRow()));
        Map<String, Value> before = new LinkedHashMap<>();
        before.put("id", new Value.Int(1));
        Map<String, Value> after = new LinkedHashMap<>();
        after.put("id", new Value.Int(1));
        after.put("owner", new Value.Text("ann"));
        after.put("balance", new Value.Numeric("90.00"));
        after.put("doc", Value.Unchanged.INSTANCE);
        events.put("update", new Update(header(3), ACCOUNTS, List.of("id"), before, after));
        events.put("delete", new Delete(header(4), ACCOUNTS, List.of("id"), Map.of("id", new Value.Int(2))));
        events.put("truncate", new Truncate(header(5), List.of(ACCOUNTS, new TableId("audit", "log")), false, true));
        events.put("message", new Message(header(6), true, "sluice.token",
                "{\"client\":\"web-1\"}".getBytes(StandardCharsets.UTF_8)));
        events.put("commit", new Commit(header(7), 6));
        events.put("heartbeat", new Heartbeat(new EventHeader("shop", Lsn.parse("0/1A2B4000"), 0, COMMIT_TIME, 0)));
        return events;
    }

    /**
     * The runs behind the version 3 golden files: a whole frame as one run, the same frame as a
     * head and a tail run (a frame split across records), and a heartbeat alone.
     */
    static Map<String, List<ChangeEvent>> v3() {
        Map<String, ChangeEvent> one = v1();
        List<ChangeEvent> frame = List.of(one.get("begin"), one.get("schema"), one.get("insert"), one.get("update"),
                one.get("delete"), one.get("truncate"), one.get("message"), one.get("commit"));
        Map<String, List<ChangeEvent>> runs = new LinkedHashMap<>();
        runs.put("frame", frame);
        runs.put("frame_head", frame.subList(0, 3));
        runs.put("frame_tail", frame.subList(3, frame.size()));
        runs.put("heartbeat", List.of(one.get("heartbeat")));
        EventHeader snapshot = new EventHeader("shop", Lsn.parse("0/16B3748"), 740L, COMMIT_TIME, 0);
        SchemaChange schema = (SchemaChange) one.get("schema");
        runs.put("snapshot", List.of(new Begin(snapshot),
                new SchemaChange(snapshot.withSeq(1), schema.table(), schema.columns(), schema.replicaIdentity()),
                CopyEvent.of(snapshot.withSeq(2), ACCOUNTS, List.of("id"), List.of("id", "owner", "balance", "tags", "doc"), 3,
                        ("1\tann\t90.00\t{a,\"b c\"}\t{\"k\": 1}\n"
                                + "2\tbob\\twith a tab\t-0.50\t\\N\t\\N\n"
                                + "3\tcé\\\\d\tNaN\t{}\t[]\n").getBytes(StandardCharsets.UTF_8)),
                new Commit(snapshot.withSeq(3), 2)));
        return runs;
    }

    static byte[] encodeRun(List<ChangeEvent> events) {
        RunEncoder run = new RunEncoder();
        events.forEach(run::add);
        return run.finish();
    }

    /** One column of every value kind. */
    static Map<String, Value> allTypesRow() {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Int(1));
        row.put("c_smallint", new Value.Int(-32768));
        row.put("c_bigint", new Value.Int(Long.MAX_VALUE));
        row.put("c_numeric", new Value.Numeric("12345678901234567890.123456789012345678"));
        row.put("c_numeric_nan", new Value.Numeric("NaN"));
        row.put("c_numeric_inf", new Value.Numeric("-Infinity"));
        row.put("c_double", new Value.Float64(0.1));
        row.put("c_double_nan", new Value.Float64(Double.NaN));
        row.put("c_real_inf", new Value.Float64(Double.POSITIVE_INFINITY));
        row.put("c_bool", new Value.Bool(true));
        row.put("c_text", new Value.Text("héllo, \"world\"\n"));
        row.put("c_empty", new Value.Text(""));
        row.put("c_bytea", new Value.Bytes(new byte[] {0, 1, (byte) 0xfe, (byte) 0xff}));
        row.put("c_date", new Value.Date(LocalDate.of(2026, 2, 28)));
        row.put("c_date_inf", new Value.Infinity(true));
        row.put("c_time", new Value.Time(LocalTime.of(23, 59, 59, 999_999_000)));
        row.put("c_timetz", new Value.TimeTz(OffsetTime.of(LocalTime.of(8, 30), ZoneOffset.ofHoursMinutes(5, 30))));
        row.put("c_timestamp", new Value.Timestamp(LocalDateTime.of(1999, 12, 31, 23, 59, 59, 123_456_000)));
        row.put("c_timestamptz", new Value.TimestampTz(Instant.parse("2026-03-29T01:00:00.000001Z")));
        row.put("c_timestamp_ninf", new Value.Infinity(false));
        row.put("c_interval", new Value.Interval(14, -3, 3_723_000_004L));
        row.put("c_uuid", new Value.Uuid(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")));
        row.put("c_json", new Value.Json("{\"a\": [1, 2, {\"b\": null}]}"));
        row.put("c_jsonb", new Value.Json("{\"a\": [1, 2, {\"b\": null}]}"));
        row.put("c_inet", new Value.Text("192.168.0.1/24"));
        row.put("c_macaddr", new Value.Text("08:00:2b:01:02:03"));
        row.put("c_enum", new Value.Text("happy"));
        row.put("c_int_array", new Value.Array(List.of(new Value.Int(1), Value.Null.INSTANCE, new Value.Int(3))));
        row.put("c_text_matrix", new Value.Array(List.of(
                new Value.Array(List.of(new Value.Text("a"), new Value.Text("b"))),
                new Value.Array(List.of(new Value.Text("c"), new Value.Text("d"))))));
        row.put("c_null", Value.Null.INSTANCE);
        return row;
    }

    /** The record size the version 4 golden files were cut at: the v3 frame in three fragments. */
    static final int V4_RECORD_BYTES = 400;

    /** Writes the golden files of version 1 (JSON), 3 (runs) or 4 (the v3 frame in fragments): {@code main v1|v3|v4 [directory]}. */
    public static void main(String[] args) throws Exception {
        String version = args.length > 0 ? args[0] : "v1";
        Path dir = Path.of(args.length > 1 ? args[1] : "log-format/src/test/resources/golden/" + version);
        Files.createDirectories(dir);
        if (version.equals("v4")) {
            List<byte[]> fragments = Fragments.split(encodeRun(v3().get("frame")), V4_RECORD_BYTES);
            for (int i = 0; i < fragments.size(); i++) {
                Files.write(dir.resolve("frame." + i + ".bin"), fragments.get(i));
            }
            return;
        }
        if (version.equals("v3")) {
            for (Map.Entry<String, List<ChangeEvent>> e : v3().entrySet()) {
                Files.write(dir.resolve(e.getKey() + ".bin"), encodeRun(e.getValue()));
            }
            return;
        }
        for (Map.Entry<String, ChangeEvent> e : v1().entrySet()) {
            Files.write(dir.resolve(e.getKey() + ".json"), EventCodec.encode(e.getValue(), 1));
        }
    }
}
