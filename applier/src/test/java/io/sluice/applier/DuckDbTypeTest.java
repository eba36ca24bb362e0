package io.sluice.applier;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The PostgreSQL → DuckDB type map, and which retypes keep every value. */
class DuckDbTypeTest {

    @Test
    void typesWithACounterpartGetItTheRestStayText() {
        assertThat(DuckDbType.of("numeric(12,2)").sql()).isEqualTo("DECIMAL(12,2)");
        assertThat(DuckDbType.of("numeric").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
        assertThat(DuckDbType.of("numeric(39,2)").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
        assertThat(DuckDbType.of("numeric(5,-2)").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
        assertThat(DuckDbType.of("timestamp(3) without time zone").kind()).isEqualTo(DuckDbType.Kind.TIMESTAMP);
        assertThat(DuckDbType.of("time with time zone").kind()).isEqualTo(DuckDbType.Kind.TIMETZ);
        assertThat(DuckDbType.of("interval year to month").kind()).isEqualTo(DuckDbType.Kind.INTERVAL);
        assertThat(DuckDbType.of("integer[]").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
        assertThat(DuckDbType.of("character(5)").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
        assertThat(DuckDbType.of("public.mood").kind()).isEqualTo(DuckDbType.Kind.VARCHAR);
    }

    @Test
    void duckDbsOwnNamesReadBack() {
        for (DuckDbType.Kind k : DuckDbType.Kind.values()) {
            DuckDbType t = k == DuckDbType.Kind.DECIMAL ? new DuckDbType(k, 18, 3) : new DuckDbType(k, 0, 0);
            assertThat(DuckDbType.ofDuckDb(t.sql())).isEqualTo(t);
        }
        assertThat(DuckDbType.ofDuckDb("HUGEINT")).isNull();
    }

    @Test
    void retypesThatKeepEveryValue() {
        assertThat(DuckDbType.of("smallint").castsExactlyTo(DuckDbType.of("bigint"))).isTrue();
        assertThat(DuckDbType.of("bigint").castsExactlyTo(DuckDbType.of("integer"))).isFalse();
        assertThat(DuckDbType.of("real").castsExactlyTo(DuckDbType.of("double precision"))).isTrue();
        assertThat(DuckDbType.of("numeric(10,2)").castsExactlyTo(DuckDbType.of("numeric(12,4)"))).isTrue();
        assertThat(DuckDbType.of("numeric(10,2)").castsExactlyTo(DuckDbType.of("numeric(10,4)"))).isFalse();
        assertThat(DuckDbType.of("integer").castsExactlyTo(DuckDbType.of("numeric(10,0)"))).isTrue();
        assertThat(DuckDbType.of("bigint").castsExactlyTo(DuckDbType.of("numeric(18,0)"))).isFalse();
        assertThat(DuckDbType.of("date").castsExactlyTo(DuckDbType.of("timestamp without time zone"))).isFalse();
    }
}
