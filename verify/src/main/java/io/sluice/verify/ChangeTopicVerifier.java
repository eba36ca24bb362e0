package io.sluice.verify;

import io.sluice.verify.Verifier.Report;
import io.sluice.verify.Verifier.TableResult;
import io.sluice.format.TableId;
import io.sluice.format.TopicNames;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Compares the primary's tables with a follower of kind {@code topics}: every row of the primary,
 * each column as its type's output function prints it, against the row its key's change topic holds
 * ({@link ChangeTopicState}), and no key in the topic that the primary lacks. A column a record
 * does not carry (added to the table after that key's last change) counts as equal only where the
 * primary's value is NULL. Whole tables, read at a quiet moment: under writes a table that differs
 * is read again, up to {@code retries} times, {@code wait} apart.
 */
public final class ChangeTopicVerifier {

    private static final int SHOWN = 5;

    private final DataSource primary;
    private final Map<String, Object> kafka;
    private final String source;
    private final String follower;
    private final int retries;
    private final Duration wait;
    private DataSource baseline;

    public ChangeTopicVerifier(DataSource primary, Map<String, Object> kafka, String source, String follower, int retries,
                               Duration wait) {
        this.primary = primary;
        this.kafka = Map.copyOf(kafka);
        this.source = source;
        this.follower = follower;
        this.retries = retries;
        this.wait = wait;
    }

    /**
     * Topics that began without a snapshot: {@code copy} holds the tables as they were where the
     * stream began, and a key with no record in its topic is compared by its row there (a key whose
     * last record is a tombstone is gone from it).
     */
    public ChangeTopicVerifier startingFrom(DataSource copy) {
        this.baseline = copy;
        return this;
    }

    public Report verify(List<String> tables) throws SQLException, InterruptedException {
        List<TableResult> results = new ArrayList<>();
        for (String t : tables) {
            TableResult r = table(t);
            for (int attempt = 0; attempt < retries && !r.equal(); attempt++) {
                Thread.sleep(wait.toMillis()); // a backoff between whole reads, not a synchronisation
                r = table(t);
            }
            results.add(r);
        }
        return new Report(results);
    }

    private TableResult table(String name) throws SQLException {
        List<String> key = Verifier.primaryKey(primary, name);
        Map<Map<String, String>, Map<String, String>> rows = rows(primary, name, key);
        String topic;
        try {
            topic = TopicNames.changes(source, follower, TableId.parse(name));
        } catch (IllegalArgumentException e) {
            return new TableResult(name, false, rows.size(), 0, 1, List.of(e.getMessage()));
        }
        ChangeTopicState.Rows read = ChangeTopicState.read(kafka, topic, Duration.ofMinutes(2));
        ChangeTopicState.Rows held = read;
        if (baseline != null) {
            Map<Map<String, String>, Map<String, String>> merged = rows(baseline, name, key);
            merged.keySet().removeAll(read.deleted());
            merged.putAll(read.byKey());
            held = new ChangeTopicState.Rows(merged, read.deleted());
        }
        List<String> differences = new ArrayList<>();
        int differing = 0;
        for (Map.Entry<Map<String, String>, Map<String, String>> p : rows.entrySet()) {
            Map<String, String> t = held.byKey().get(p.getKey());
            String why = t == null ? "missing from " + topic : differs(p.getValue(), t);
            if (why != null && differing++ < SHOWN) {
                differences.add("key " + p.getKey() + ": " + why);
            }
        }
        for (Map<String, String> k : held.byKey().keySet()) {
            if (!rows.containsKey(k) && differing++ < SHOWN) {
                differences.add("key " + k + ": in " + topic + " but not on the primary");
            }
        }
        if (key.isEmpty()) {
            differences.add(0, "table " + name + " has no primary key: a change topic cannot hold it");
            differing++;
        }
        if (differing > SHOWN) {
            differences.add("… " + (differing - SHOWN) + " more");
        }
        return new TableResult(name, differing == 0, rows.size(), held.byKey().size(), 1, differences);
    }

    /** The first column that differs, described; null when the rows are equal. */
    private static String differs(Map<String, String> primaryRow, Map<String, String> topicRow) {
        for (Map.Entry<String, String> c : primaryRow.entrySet()) {
            boolean carried = topicRow.containsKey(c.getKey());
            if (carried ? !Objects.equals(c.getValue(), topicRow.get(c.getKey())) : c.getValue() != null) {
                return "column " + c.getKey() + " is " + Verifier.abbreviate(c.getValue()) + " on the primary, "
                        + (carried ? Verifier.abbreviate(topicRow.get(c.getKey())) : "not carried") + " in the topic";
            }
        }
        for (String column : topicRow.keySet()) {
            if (!primaryRow.containsKey(column)) {
                return "column " + column + " is in the topic but not on the primary";
            }
        }
        return null;
    }


    /** Every row as column → text (null for NULL), by its key's columns as text. */
    private static Map<Map<String, String>, Map<String, String>> rows(DataSource db, String name, List<String> key)
            throws SQLException {
        Map<Map<String, String>, Map<String, String>> rows = new LinkedHashMap<>();
        try (Connection c = Verifier.session(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM " + Verifier.qualified(name) + " LIMIT 0")) {
            List<String> columns = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                columns.add(rs.getMetaData().getColumnName(i));
            }
            // Each value as its type's output function prints it — what pgoutput sends — not as a cast
            // to text (a boolean casts to 'true' but prints as 't'): a simple query's results are text.
            String select = "SELECT " + String.join(", ", columns.stream().map(col -> "t." + quote(col)).toList())
                    + " FROM " + KeyRange.rowsOf(c, Verifier.qualified(name)) + " t";
            try (Statement all = c.createStatement(); ResultSet r = all.executeQuery(select)) {
                while (r.next()) {
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int i = 0; i < columns.size(); i++) {
                        row.put(columns.get(i), r.getString(i + 1));
                    }
                    Map<String, String> k = new LinkedHashMap<>();
                    for (String col : key) {
                        k.put(col, row.get(col));
                    }
                    rows.put(k, row);
                }
            }
        }
        return rows;
    }

    private static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }
}
