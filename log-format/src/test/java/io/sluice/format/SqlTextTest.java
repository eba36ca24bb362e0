package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written date and time text must be exactly what the formatters wrote before it. */
class SqlTextTest {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");

    private static String referenceDate(LocalDate d) {
        return d.getYear() > 0 ? d.format(DATE) : d.withYear(1 - d.getYear()).format(DATE) + " BC";
    }

    private static String referenceTimestamp(LocalDateTime t) {
        String time = t.toLocalTime().format(TIME);
        return t.getYear() > 0 ? t.toLocalDate().format(DATE) + " " + time
                : t.toLocalDate().withYear(1 - t.getYear()).format(DATE) + " " + time + " BC";
    }

    @Test
    void datesTimesAndTimestampsReadAsTheFormattersWroteThem() {
        Random random = new Random(42);
        List<Integer> years = List.of(-4713, -1, 0, 1, 9, 999, 1000, 1999, 2026, 9999, 10000, 294276);
        for (int i = 0; i < 20_000; i++) {
            int year = i < years.size() * 50 ? years.get(i % years.size()) : 1 + random.nextInt(12_000);
            LocalDateTime t = LocalDateTime.of(LocalDate.of(year, 1, 1).plusDays(random.nextInt(365)),
                    LocalTime.ofNanoOfDay(random.nextLong(86_400_000_000L) * 1000));
            if (i % 7 == 0) {
                t = t.withNano(0);
            }
            assertThat(SqlText.of(new Value.Date(t.toLocalDate()))).isEqualTo(referenceDate(t.toLocalDate()));
            assertThat(SqlText.of(new Value.Time(t.toLocalTime()))).isEqualTo(t.toLocalTime().format(TIME));
            assertThat(SqlText.of(new Value.Timestamp(t))).isEqualTo(referenceTimestamp(t));
            Instant instant = t.toInstant(ZoneOffset.UTC);
            String tz = referenceTimestamp(t);
            assertThat(SqlText.of(new Value.TimestampTz(instant)))
                    .isEqualTo(tz.endsWith(" BC") ? tz.substring(0, tz.length() - 3) + "+00 BC" : tz + "+00");
            OffsetTime ot = OffsetTime.of(t.toLocalTime(), ZoneOffset.ofHoursMinutes(5, 30));
            assertThat(SqlText.of(new Value.TimeTz(ot))).isEqualTo(t.toLocalTime().format(TIME) + "+05:30");
        }
    }
}
