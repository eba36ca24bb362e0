package io.sluice.format;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The settings every session of Sluice's on a primary or a follower runs with. First, those under
 * which a value's PostgreSQL text in the stream is printed, read back and compared (FORMAT.md,
 * "Values"): every session that prints values for the stream (capture's), reads them into a
 * follower (the applier's) or compares a follower's with the primary's ({@code sluice verify})
 * runs with them, so the text does not depend on either server's own settings. pgjdbc fixes
 * {@code DateStyle} to ISO on every connection it opens. {@code lc_monetary} decides how
 * {@code money} is printed and read — its symbol, separators and number of decimals — so a primary
 * and a follower of different locales would otherwise change or refuse its values. Then no
 * statement and no idle-in-transaction timeout: a database's own (set against runaway queries)
 * would cancel a snapshot's COPY, a large transaction's apply or a snapshot held open between reads,
 * every time again. And {@code search_path} {@code pg_catalog, public}: a type's name in a schema
 * event is printed relative to it — a type of {@code public} bare, any other schema's qualified — and
 * read back under it, whatever search path either database sets for its sessions.
 */
public final class SessionSettings {

    private static final Map<String, String> SETTINGS = settings();

    private SessionSettings() { }

    private static Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("IntervalStyle", "postgres");
        s.put("extra_float_digits", "3");
        s.put("bytea_output", "hex");
        s.put("lc_monetary", "C");
        s.put("statement_timeout", "0");
        s.put("idle_in_transaction_session_timeout", "0");
        s.put("search_path", "pg_catalog, public");
        return java.util.Collections.unmodifiableMap(s);
    }

    /** The settings as a connection's startup {@code options} ({@code -c name=value ...}), for a walsender connection. */
    public static String startupOptions() {
        return SETTINGS.entrySet().stream().map(e -> "-c " + e.getKey() + "=" + e.getValue().replace(" ", ""))
                .collect(Collectors.joining(" "));
    }

    /**
     * The settings as one SQL string of {@code SET} commands, for an open session (in its transaction, if one is
     * open: commit it for them to stay).
     */
    public static String sql() {
        return SETTINGS.entrySet().stream().map(e -> "SET " + e.getKey() + " = "
                        + (e.getKey().equals("search_path") ? e.getValue() : "'" + e.getValue() + "'"))
                .collect(Collectors.joining("; "));
    }
}
