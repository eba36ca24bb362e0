package io.sluice.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.embedded.LocalPostgres;
import io.sluice.verify.Verifier.Report;
import io.sluice.verify.Verifier.TableResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What the verifier reports, against a real server: a "primary" and a "follower" database made to
 * differ in known ways, compared in chunks smaller than the tables.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VerifierIT {

    @TempDir
    static Path dir;
    static LocalPostgres pg;
    static Verifier verifier;

    @BeforeAll
    static void start() throws Exception {
        pg = LocalPostgres.start("verifier", dir);
        pg.createDatabase("p");
        pg.createDatabase("f");
        for (String db : List.of("p", "f")) {
            try (var c = pg.connect(db); var st = c.createStatement()) {
                st.execute("CREATE TABLE public.same (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO public.same SELECT g, 'v' || g FROM generate_series(1, 10) g");
                st.execute("CREATE TABLE public.few (a int, b text, v text, PRIMARY KEY (b, a))");
                st.execute("INSERT INTO public.few SELECT g, 'k' || g, 'v' || g FROM generate_series(1, 10) g");
                st.execute("CREATE TABLE public.many (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO public.many SELECT g, 'v' || g FROM generate_series(1, 20) g");
                st.execute("CREATE TABLE public.nokey (v text)");
                st.execute("INSERT INTO public.nokey VALUES ('x'), ('x'), ('y')");
                st.execute("CREATE TABLE public.\"Odd.\"\"name\" (\"k.\"\"y\" int PRIMARY KEY)");
                st.execute("INSERT INTO public.\"Odd.\"\"name\" SELECT generate_series(1, 5)");
                st.execute("CREATE TABLE public.heir_parent (id int PRIMARY KEY, v text)");
                st.execute("CREATE TABLE public.heir_child () INHERITS (public.heir_parent)");
                st.execute("INSERT INTO public.heir_parent SELECT g, 'p' || g FROM generate_series(1, 6) g");
                st.execute("INSERT INTO public.heir_child SELECT g, 'c' || g FROM generate_series(2, 5) g");
                st.execute("CREATE TABLE public.parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)");
                st.execute("CREATE TABLE public.parted_low PARTITION OF public.parted FOR VALUES FROM (0) TO (5)");
                st.execute("CREATE TABLE public.parted_high PARTITION OF public.parted FOR VALUES FROM (5) TO (100)");
                st.execute("INSERT INTO public.parted SELECT g, 'v' || g FROM generate_series(1, 9) g");
            }
        }
        String words = "INSERT INTO public.%s SELECT w FROM unnest(ARRAY['apple', 'Apple', 'Zebra', 'zebra', 'äpfel',"
                + " 'Österreich', 'ostern', '_x', '1a', 'a1', 'B', 'b', 'é', 'e', 'F', 'f', 'ß', 'ss', 'Ω', 'ω']) w";
        for (String db : List.of("p", "f")) {
            // The primary's words sort by an ICU locale, the follower's by the database's C.UTF-8; its database prints
            // intervals, floats and bytea otherwise than the stream does.
            String collate = db.equals("p") ? " COLLATE \"en-x-icu\"" : "";
            try (var c = pg.connect(db); var st = c.createStatement()) {
                st.execute("CREATE TABLE public.words (w text" + collate + " PRIMARY KEY)");
                st.execute(String.format(words, "words"));
                st.execute("CREATE TABLE public.words_nokey (w text" + collate + ")");
                st.execute(String.format(words, "words_nokey"));
                st.execute("CREATE TABLE public.printed (id int PRIMARY KEY, i interval, d float8, b bytea)");
                st.execute("INSERT INTO public.printed VALUES (1, '-1 day +02:03:04', 0.1::float8 + 0.2, '\\x00ff')");
            }
        }
        try (var c = pg.connect(); var st = c.createStatement()) {
            st.execute("ALTER DATABASE f SET IntervalStyle = 'sql_standard'");
            st.execute("ALTER DATABASE f SET extra_float_digits = 0");
            st.execute("ALTER DATABASE f SET bytea_output = 'escape'");
        }
        try (var c = pg.connect("p"); var st = c.createStatement()) {
            st.execute("CREATE TABLE public.gone (id int PRIMARY KEY)");
            st.execute("INSERT INTO public.gone VALUES (1)");
        }
        try (var c = pg.connect("f"); var st = c.createStatement()) {
            st.execute("UPDATE public.few SET v = 'changed' WHERE a = 3");
            st.execute("DELETE FROM public.few WHERE a = 5");
            st.execute("INSERT INTO public.few VALUES (11, 'k11', 'extra')");
            st.execute("UPDATE public.many SET v = v || '!' WHERE id <= 8");
            st.execute("DELETE FROM public.nokey WHERE ctid = (SELECT min(ctid) FROM public.nokey WHERE v = 'x')");
            st.execute("UPDATE public.heir_child SET v = 'changed' WHERE id = 3");
        }
        verifier = new Verifier(dataSource("p"), dataSource("f"), "src", 4, 0, Duration.ofSeconds(1));
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    static DataSource dataSource(String db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(pg.jdbcUrl(db));
        return ds;
    }

    static TableResult only(String table) throws Exception {
        Report r = verifier.verify(List.of(table));
        assertThat(r.tables()).hasSize(1);
        return r.tables().get(0);
    }

    @Test
    void equalTablesAreEqualChunkByChunk() throws Exception {
        TableResult t = only("public.same");
        assertThat(t.equal()).isTrue();
        assertThat(t.differences()).isEmpty();
        assertThat(t.primaryRows()).isEqualTo(10);
        assertThat(t.followerRows()).isEqualTo(10);
        assertThat(t.chunks()).as("10 rows in chunks of 4").isEqualTo(3);
    }

    @Test
    void aChangedAMissingAndAnExtraRowAreEachNamedByTheirKey() throws Exception {
        TableResult t = only("public.few");
        assertThat(t.equal()).isFalse();
        assertThat(t.primaryRows()).isEqualTo(10);
        assertThat(t.followerRows()).isEqualTo(10);
        assertThat(t.differences()).containsExactlyInAnyOrder(
                "public.few b=k3, a=3: primary (3,k3,v3) / follower (3,k3,changed)",
                "public.few b=k5, a=5: primary (5,k5,v5) / follower (no row)",
                "public.few b=k11, a=11: primary (no row) / follower (11,k11,extra)");
    }

    /** An applier starting for the first time, its bookkeeping made up to a migration that lacks columns yet. */
    @Test
    void aFollowerWhoseBookkeepingIsHalfMadeIsComparedAfterTheWait() throws Exception {
        try (var c = pg.connect("f"); var st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
            st.execute("CREATE TABLE IF NOT EXISTS sluice.watermark (source text PRIMARY KEY)");
        }
        Verifier retrying = new Verifier(dataSource("p"), dataSource("f"), "src", 4, 1, Duration.ofMillis(200));
        TableResult t = retrying.verify(List.of("public.few")).tables().get(0);
        assertThat(t.equal()).isFalse();
        assertThat(t.differences()).contains("public.few b=k5, a=5: primary (5,k5,v5) / follower (no row)");
    }

    @Test
    void aChunkWithMoreThanFiveDifferencesShowsFiveAndCountsTheRest() throws Exception {
        Verifier wide = new Verifier(dataSource("p"), dataSource("f"), "src", 100, 0, Duration.ofSeconds(1));
        TableResult t = wide.verify(List.of("public.many")).tables().get(0);
        assertThat(t.equal()).isFalse();
        assertThat(t.differences()).hasSize(6);
        assertThat(t.differences().subList(0, 5)).allMatch(d -> d.startsWith("public.many id=") && d.contains("!)"));
        assertThat(t.differences().get(5)).isEqualTo("public.many: 3 more differing row(s) in this chunk");
    }

    @Test
    void aTableWithoutAKeyIsComparedAsAMultisetOfRows() throws Exception {
        TableResult t = only("public.nokey");
        assertThat(t.equal()).isFalse();
        assertThat(t.primaryRows()).isEqualTo(3);
        assertThat(t.followerRows()).isEqualTo(2);
        assertThat(t.differences()).containsExactly("public.nokey row (x): 2 time(s) on the primary, 1 on the follower");
    }

    @Test
    void aTableMissingOnTheFollowerIsSaidToBeAndDiffersInEveryRow() throws Exception {
        TableResult t = only("public.gone");
        assertThat(t.equal()).isFalse();
        assertThat(t.primaryRows()).isEqualTo(1);
        assertThat(t.followerRows()).isZero();
        assertThat(t.differences()).containsExactly("the follower has no table public.gone",
                "public.gone id=1: primary (1) / follower (no row)");
    }

    /**
     * A primary and a follower that order text otherwise (collations of other locales) and print values otherwise
     * (their own IntervalStyle, extra_float_digits, bytea_output): equal tables are equal, chunk by chunk.
     */
    @Test
    void serversThatSortAndPrintOtherwiseCompareEqualTablesEqual() throws Exception {
        for (String table : List.of("public.words", "public.words_nokey", "public.printed")) {
            TableResult t = only(table);
            assertThat(t.equal()).as("%s: %s", table, t.differences()).isTrue();
        }
        assertThat(only("public.words").chunks()).as("chunks of four words").isEqualTo(5);
    }

    @Test
    void aTableWhoseNameHoldsADotAndAQuoteIsComparedByItsKey() throws Exception {
        try (var c = pg.connect("f"); var st = c.createStatement()) {
            st.execute("UPDATE public.\"Odd.\"\"name\" SET \"k.\"\"y\" = 50 WHERE \"k.\"\"y\" = 5");
        }
        TableResult t = only("public.Odd.\"name");
        assertThat(t.equal()).isFalse();
        assertThat(t.differences()).containsExactlyInAnyOrder(
                "public.Odd.\"name k.\"y=5: primary (5) / follower (no row)",
                "public.Odd.\"name k.\"y=50: primary (no row) / follower (50)");
    }

    /**
     * A table others inherit from is compared by its own rows, and each table inheriting from it by its own: a row
     * changed in the child differs there only (before, the parent's chunks held its child's rows too, the parent's
     * and the child's of one key paired as they came, and the parent counted them as its own). A partitioned table
     * holds its partitions' rows.
     */
    @Test
    void aParentIsComparedByItsOwnRowsAndATableInheritingFromItByItsOwn() throws Exception {
        TableResult parent = only("public.heir_parent");
        assertThat(parent.equal()).as("%s", parent.differences()).isTrue();
        assertThat(parent.primaryRows()).as("the parent's own rows").isEqualTo(6);
        TableResult child = only("public.heir_child");
        assertThat(child.equal()).isFalse();
        assertThat(child.differences()).as("a child has no key of its own: its rows as a multiset").containsExactlyInAnyOrder(
                "public.heir_child row (3,c3): 1 time(s) on the primary, 0 on the follower",
                "public.heir_child row (3,changed): 0 time(s) on the primary, 1 on the follower");
        TableResult parted = only("public.parted");
        assertThat(parted.equal()).as("%s", parted.differences()).isTrue();
        assertThat(parted.primaryRows()).as("its partitions' rows").isEqualTo(9);
    }

    @Test
    void theTablesAreThePrimarysUserTables() throws Exception {
        assertThat(verifier.tables()).containsExactly("public.Odd.\"name", "public.few", "public.gone", "public.heir_child",
                "public.heir_parent", "public.many", "public.nokey", "public.parted", "public.printed", "public.same", "public.words",
                "public.words_nokey");
    }
}
