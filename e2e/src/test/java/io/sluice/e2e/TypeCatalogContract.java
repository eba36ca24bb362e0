package io.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each capture engine's test class runs this against its own servers: every type of the primary's own catalog — each base, range and multirange type of
 * {@code pg_catalog}, an enum, domains (over an integer with a CHECK, text, numeric, timestamptz) and a
 * composite type (with a domain attribute), and every base type and domain of eight contrib extensions
 * (hstore, citext, ltree, cube, seg, isn, lo, intarray; the follower gets them by creating the
 * extension) but their GiST index key types, which take no value — at the values its input function
 * accepts from a list of edge
 * inputs (limits, NaN and the infinities, empty values, special words such as {@code epoch} and
 * {@code 24:00:00}, escapes, multi-byte text), alone and in arrays of one to three dimensions:
 * half of it in the initial snapshot, half streamed, then updated with an unchanged TOASTed column
 * and partly deleted, while another table is written to all along. Each follower table must end
 * with exactly the primary's rows, compared as PostgreSQL's own text of every row. An engine that
 * cannot carry a type exactly must refuse it, naming the table, column and type.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one set of servers per class, which a subclass may choose
abstract class TypeCatalogContract {

    static final String SOURCE = "types";

    abstract CaptureConfig.Engine engine();

    /** Whether the engine carries a column of this type ({@code format_type} name) exactly; else it must refuse it. */
    abstract boolean carries(String type);

    /** The capture under test; by default its snapshot goes onto the stream. */
    CaptureService capture(CaptureConfig config) {
        return new CaptureService(config);
    }

    /** The applier configuration of the follower under test: by default follower 0, a PostgreSQL database. */
    io.sluice.applier.ApplierConfig follower() {
        return stack.applier(SOURCE, 0);
    }

    /** Waits until the follower under test holds exactly the primary's rows of {@code table}. */
    void awaitFollowerEqual(String table, Duration timeout) {
        stack.awaitEqual(0, table, timeout);
    }

    /** How many of the type tables ({@code tc_*}) the follower under test holds. */
    int followerTypeTables() throws Exception {
        return Integer.parseInt(stack.followers.get(0).queryScalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'tc\\_%'"));
    }

    /** Whether the engine carries this input of the type; by default every value of a type it carries. */
    boolean carries(String type, String edge) {
        return true;
    }

    /** Inputs tried on every type; a type keeps those its input function accepts. */
    private static final List<String> EDGES = List.of(
            "", " ", "0", "1", "-1", "-0", "0.5", "1e300", "-1e-300", "NaN", "Infinity", "-Infinity", "infinity",
            "-infinity", "epoch", "allballs", "32767", "-32768", "2147483647", "-2147483648", "9223372036854775807",
            "-9223372036854775808", "4294967295", "18446744073709551615", "1.7976931348623157e308",
            "4.9e-324", "3.4028235e38", "1.4e-45", "12345678901234567890.123456789012345678", "-0.000000000000000001",
            "4713-01-01 BC", "5874897-12-31", "294276-12-31 23:59:59.999999", "4713-01-01 00:00:00 BC",
            "2026-03-29 01:30:00.000001+02", "1999-01-08 04:05:06+02:30:15", "24:00:00", "00:00:00",
            "23:59:59.999999", "24:00:00-15:59", "00:00:00+15:59", "12:34:56.789+05:30", "178000000 years",
            "-178000000 years", "1 year 2 mons -3 days 04:05:06.000007", "P1Y2M3DT4H5M6S", "-1 days +00:00:00.000001",
            "t", "f", "yes", "off", "\\x", "\\x00ff", "\\000\\377", "a\\b", "héllo 'q' \"d\" ✓ 😀", "tab\there",
            "line\nbreak", "{}", "{\"a\": [1, 2.50, null], \"b\": {\"c\": \"\\u00e9\"}}", "[]", "null", "\"s\"",
            "123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000", "192.168.0.1/24",
            "10.0.0.0/8", "::1/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "08:00:2b:01:02:03",
            "08:00:2b:01:02:03:04:05", "(1,2)", "(1.5,-2.5)", "((0,0),(1,1))", "<(1,2),3>", "{1,2,3}",
            "[(0,0),(1,1)]", "((0,0),(1,1),(2,0))", "101", "0000000001", "empty", "[1,10)", "(,)",
            "[-infinity,infinity]", "[2026-01-01,2026-12-31]", "{[1,3),[5,7)}", "{[1.5,2.5]}",
            "'a' & !'b' | 'c'", "a:1A b:2B c", "fat cat", "0/0", "FFFFFFFF/FFFFFFFF", "16/B374D848",
            "10:20:", "10:20:10,14,15", "(0,1)", "$1,234.56", "-92233720368547758.08", "pg_class", "-", "integer",
            "=", "+", "postgres=arwdDxt/postgres", "english", "pg_catalog", "postgres", "C", "<a b=\"c\">d</a>", "sad",
            "happy", "(1,\"a, b\",1.5,7,)", "(,,,,)", "(-2147483648,\"\",NaN,0,infinity)",
            "(0,\"q\"\"uote \\\\ back\",,1,\"2026-03-29 01:30:00.000001+02\")");

    /** Inputs tried on the extensions' types besides {@link #EDGES}: hstore, ltree's three, cube, seg, isn's, query_int. */
    private static final List<String> EXTENSION_EDGES = List.of(
            "a=>1, \"b c\"=>NULL, \"\"=>\"\"", "Top.Science.Astronomy", "*.Astronomy.*{1,2}", "Europe & Russia*@ & !Transportation",
            "(1,2),(3,4)", "(1e300, -0.5)", "1 .. 2", "<1.5", "~5(+-)0.1", "978-0-393-04002-9", "0-393-04002-X",
            "979-0-2600-0043-8", "1234-5679", "0012345678905", "1&(2|!3)");

    /** Extensions whose types the test puts on the primary: the follower gets each by creating the extension. */
    private static final List<String> EXTENSIONS = List.of("hstore", "citext", "ltree", "cube", "seg", "isn", "lo", "intarray");

    @TempDir
    static Path dir;
    static Stack stack;
    static CaptureService capture;
    static StreamApplier applier;

    /** The servers under test: by default a primary of the classpath's PostgreSQL and one follower. */
    Stack servers(Path dir) {
        return new Stack(dir, 1);
    }

    @BeforeAll
    void start() {
        stack = servers(dir);
    }

    @AfterAll
    void stop() {
        if (applier != null) {
            applier.close();
        }
        if (capture != null) {
            capture.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    /** A type under test: its name as {@code format_type} prints it, and whether it has an array type. */
    private record TypeUnderTest(String name, boolean hasArray, boolean ofExtension) { }

    @Test
    void everyTypeOfTheCatalogAtItsEdgesReachesTheFollowerExactly() throws Exception {
        stack.primary.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE DOMAIN dom_int AS integer CHECK (VALUE <> 42)", "CREATE DOMAIN dom_text AS text",
                "CREATE DOMAIN dom_num AS numeric(30,6) CHECK (VALUE > -1e20)", "CREATE DOMAIN dom_tstz AS timestamptz",
                "CREATE TYPE comp AS (i integer, t text, n numeric, d dom_int, ts timestamptz)",
                "CREATE TABLE noise (id bigserial PRIMARY KEY, payload text)");
        for (String extension : EXTENSIONS) {
            stack.primary.execute("CREATE EXTENSION " + extension);
        }
        List<TypeUnderTest> types = new ArrayList<>();
        try (Connection c = stack.primary.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT format_type(t.oid, NULL), t.typarray <> 0, t.oid IN (SELECT objid FROM pg_depend
                       WHERE classid = 'pg_type'::regclass AND refclassid = 'pg_extension'::regclass AND deptype = 'e')
                  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE (n.nspname = 'pg_catalog' AND t.typtype IN ('b', 'r', 'm') AND t.typcategory <> 'A'
                        OR t.typname IN ('mood', 'dom_int', 'dom_text', 'dom_num', 'dom_tstz', 'comp')
                        OR t.typtype IN ('b', 'd') AND t.typcategory <> 'A' AND t.oid IN (SELECT objid FROM pg_depend
                            WHERE classid = 'pg_type'::regclass AND refclassid = 'pg_extension'::regclass AND deptype = 'e')
                            -- not the extensions' GiST index key types, whose input functions refuse every value
                            AND t.typname NOT IN ('ghstore', 'ltree_gist', 'intbig_gkey'))
                   AND t.typisdefined
                 ORDER BY t.oid""")) {
            while (rs.next()) {
                types.add(new TypeUnderTest(rs.getString(1), rs.getBoolean(2), rs.getBoolean(3)));
            }
        }
        assertThat(types).as("types in the catalog").hasSizeGreaterThan(80);
        types.removeIf(t -> !carries(t.name()));
        types.replaceAll(t -> new TypeUnderTest(t.name(), t.hasArray() && carries(t.name() + "[]"), t.ofExtension()));
        Map<String, TypeUnderTest> tables = new LinkedHashMap<>();
        for (TypeUnderTest t : types) {
            String table = "tc_" + tables.size();
            tables.put(table, t);
            stack.primary.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v " + t.name()
                    + (t.hasArray() ? ", a1 " + t.name() + "[], a2 " + t.name() + "[], a3 " + t.name() + "[]" : "")
                    + ", big text)");
        }
        int rowsBefore = fill(tables, 0);
        assertThat(rowsBefore).as("rows the snapshot holds").isGreaterThan(5 * tables.size());

        capture = capture(stack.capture(SOURCE, List.of(), true).withEngine(engine()));
        capture.start();
        applier = new StreamApplier(follower());
        applier.start();
        AtomicBoolean on = new AtomicBoolean(true);
        Thread noise = new Thread(() -> {
            try (Connection c = stack.primary.connect();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO noise (payload) VALUES (repeat('n', 100))")) {
                while (on.get()) {
                    ps.executeUpdate();
                }
            } catch (SQLException e) {
                // ends with the test
            }
        }, "noise");
        noise.start();
        try {
            fill(tables, 1_000_000);
            try (Connection c = stack.primary.connect(); Statement st = c.createStatement()) {
                for (Map.Entry<String, TypeUnderTest> e : tables.entrySet()) {
                    // v = v leaves the TOASTed big column unchanged: pgoutput sends it as not sent, not as NULL.
                    st.execute("UPDATE " + e.getKey() + " SET v = v WHERE id % 3 = 0");
                    if (e.getValue().hasArray()) {
                        st.execute("UPDATE " + e.getKey() + " SET a2 = NULL WHERE id % 5 = 1");
                    }
                    st.execute("DELETE FROM " + e.getKey() + " WHERE id % 4 = 2");
                }
            }
        } finally {
            on.set(false);
            noise.join();
        }
        // A last transaction: once the follower has applied it, it has applied everything before it.
        io.sluice.format.Lsn before = io.sluice.format.Lsn.parse(stack.primary.queryScalar("SELECT pg_current_wal_insert_lsn()::text"));
        stack.primary.execute("INSERT INTO noise (payload) VALUES ('last')");
        Await.until(Duration.ofSeconds(180), () -> "the follower to apply the last transaction (applier: "
                + applier.failure().map(Throwable::getMessage).orElse("running") + "; capture: "
                + capture.failure().map(Throwable::getMessage).orElse("running") + ")",
                () -> applier.failure().isPresent() || capture.failure().isPresent()
                        || applier.applied().map(a -> a.commitLsn().isAfter(before)).orElse(false));
        assertThat(applier.failure()).as("the applier's failure").isEmpty();
        assertThat(capture.failure()).as("capture's failure").isEmpty();
        for (String table : tables.keySet()) {
            awaitFollowerEqual(table, Duration.ofSeconds(30));
        }
        awaitFollowerEqual("noise", Duration.ofSeconds(60));
        assertThat(applier.state()).isEqualTo(StreamApplier.State.RUNNING);
        assertThat(capture.state()).isEqualTo(CaptureService.State.RUNNING);
        Await.until(Duration.ofSeconds(5), () -> "the follower's tables", () -> followerTypeTables() == tables.size());
    }

    /**
     * Inserts, for every type, each edge input its column accepts (tried under a savepoint: a value
     * the type refuses is not a value of the type), a NULL, and arrays of 1 to 3 dimensions of the
     * accepted values; ids start at {@code base}. Returns the rows inserted.
     */
    private int fill(Map<String, TypeUnderTest> tables, int base) throws SQLException {
        int rows = 0;
        try (Connection c = stack.primary.connect()) {
            c.setAutoCommit(false);
            for (Map.Entry<String, TypeUnderTest> e : tables.entrySet()) {
                String table = e.getKey();
                String type = e.getValue().name();
                int id = base;
                List<String> accepted = new ArrayList<>();
                List<String> edges = e.getValue().ofExtension()
                        ? java.util.stream.Stream.concat(EDGES.stream(), EXTENSION_EDGES.stream()).toList() : EDGES;
                for (String edge : edges) {
                    if (carries(type, edge) && insert(c, "INSERT INTO " + table + " (id, v, big) VALUES (?, ?::" + type + ", " + big() + ")", id, edge)) {
                        accepted.add(edge);
                        id++;
                    }
                }
                insert(c, "INSERT INTO " + table + " (id, v, big) VALUES (?, NULL, NULL)", id++);
                if (e.getValue().hasArray()) {
                    for (int i = 0; i + 1 < accepted.size() && i < 12; i += 2) {
                        String x = accepted.get(i);
                        String y = accepted.get(i + 1);
                        String v = "?::" + type;
                        insert(c, "INSERT INTO " + table + " (id, a1, a2, a3) VALUES (?, ARRAY[" + v + ", NULL, " + v + "], ARRAY[["
                                + v + ", " + v + "], [NULL, " + v + "]], ARRAY[[[" + v + "]], [[" + v + "]]])", id++, x, y, x, y, x, y, x);
                    }
                    insert(c, "INSERT INTO " + table + " (id, a1, a2) VALUES (?, '{}', '{{NULL}}')", id++);
                }
                rows += id - base;
            }
            c.commit();
        }
        return rows;
    }

    /** A value big enough to be stored out of line, and hardly compressible. */
    private static String big() {
        return "(SELECT string_agg(md5(g::text || random()::text), '') FROM generate_series(1, 200) g)";
    }

    private static boolean insert(Connection c, String sql, int id, String... values) throws SQLException {
        Savepoint sp = c.setSavepoint();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, id);
            int i = 2;
            for (String v : values) {
                if (v != null) {
                    ps.setString(i++, v);
                }
            }
            ps.executeUpdate();
            c.releaseSavepoint(sp);
            return true;
        } catch (SQLException e) {
            c.rollback(sp);
            return false;
        }
    }
}
