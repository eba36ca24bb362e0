package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** PostgreSQL's output text (DateStyle ISO, IntervalStyle postgres) read into the numbers DuckDB takes. */
class PostgresTextTest {

    @Test
    void datesIncludingBcAndFarYears() {
        assertThat(PostgresText.epochDay("1970-01-02")).isEqualTo(1);
        assertThat(PostgresText.epochDay("4713-01-01 BC")).isEqualTo(LocalDate.of(-4712, 1, 1).toEpochDay());
        assertThat(PostgresText.epochDay("5874897-12-31")).isEqualTo(LocalDate.of(5874897, 12, 31).toEpochDay());
        assertThatThrownBy(() -> PostgresText.epochDay("01/02/1970")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timesIncludingMidnightAtTheEnd() {
        assertThat(PostgresText.timeMicros("00:00:00")).isZero();
        assertThat(PostgresText.timeMicros("23:59:59.999999")).isEqualTo(PostgresText.MICROS_PER_DAY - 1);
        assertThat(PostgresText.timeMicros("24:00:00")).isEqualTo(PostgresText.MICROS_PER_DAY);
        PostgresText.TimeTz t = PostgresText.timeTz("24:00:00-15:59");
        assertThat(t.micros()).isEqualTo(PostgresText.MICROS_PER_DAY);
        assertThat(t.offset()).isEqualTo(ZoneOffset.ofHoursMinutes(-15, -59));
        assertThat(PostgresText.timeTz("12:34:56.789+05:30").offset()).isEqualTo(ZoneOffset.ofHoursMinutes(5, 30));
    }

    @Test
    void timestampsWithOffsetsOfSecondsAndBc() {
        assertThat(PostgresText.epochMicros("1970-01-01 00:00:00.000001", false)).isEqualTo(1);
        assertThat(PostgresText.epochMicros("2026-03-29 01:30:00.000001+02", true))
                .isEqualTo(LocalDateTime.of(2026, 3, 28, 23, 30).toEpochSecond(ZoneOffset.UTC) * 1_000_000 + 1);
        assertThat(PostgresText.epochMicros("1999-01-08 04:05:06+02:30:15", true))
                .isEqualTo(LocalDateTime.of(1999, 1, 8, 1, 34, 51).toEpochSecond(ZoneOffset.UTC) * 1_000_000);
        assertThat(PostgresText.epochMicros("4713-01-01 00:00:00+00 BC", true))
                .isEqualTo(LocalDateTime.of(-4712, 1, 1, 0, 0).toEpochSecond(ZoneOffset.UTC) * 1_000_000);
    }

    @Test
    void intervalsInStylePostgres() {
        assertThat(PostgresText.interval("1 year 2 mons -3 days +04:05:06.000007"))
                .isEqualTo(new PostgresText.Interval(14, -3, 14_706_000_007L));
        assertThat(PostgresText.interval("-178000000 years")).isEqualTo(new PostgresText.Interval(-2_136_000_000, 0, 0));
        assertThat(PostgresText.interval("-1 days +00:00:00.000001")).isEqualTo(new PostgresText.Interval(0, -1, 1));
        assertThat(PostgresText.interval("-00:00:00.5")).isEqualTo(new PostgresText.Interval(0, 0, -500_000));
        assertThat(PostgresText.interval("00:00:00")).isEqualTo(new PostgresText.Interval(0, 0, 0));
        assertThatThrownBy(() -> PostgresText.interval("P1Y")).isInstanceOf(IllegalArgumentException.class);
    }
}
