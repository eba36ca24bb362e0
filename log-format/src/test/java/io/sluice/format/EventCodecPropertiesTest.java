package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class EventCodecPropertiesTest {

    @Property(tries = 2000)
    void everyValueRoundTripsExactly(@ForAll("values") Value value) {
        Map<String, Value> row = new LinkedHashMap<>();
        row.put("id", new Value.Int(1));
        row.put("v", value);
        ChangeEvent event = new ChangeEvent.Insert(GoldenEvents.header(1), GoldenEvents.ACCOUNTS, List.of("id"), row);

        for (int version : EventCodec.SUPPORTED_VERSIONS) {
            ChangeEvent decoded = EventCodec.decode(EventCodec.encode(event, version));

            assertThat(decoded).as("version %d", version).isEqualTo(event);
            assertThat(((ChangeEvent.Insert) decoded).after().get("v").getClass()).isEqualTo(value.getClass());
        }
    }

    @Property(tries = 500)
    void headersRoundTrip(@ForAll("lsns") Lsn lsn, @ForAll("xids") long xid, @ForAll("instants") Instant ts) {
        ChangeEvent event = new ChangeEvent.Commit(new EventHeader("src_1", lsn, xid, ts, 9), 8);
        for (int version : EventCodec.SUPPORTED_VERSIONS) {
            assertThat(EventCodec.decode(EventCodec.encode(event, version))).as("version %d", version).isEqualTo(event);
        }
    }

    @Provide
    Arbitrary<Lsn> lsns() {
        return Arbitraries.longs().map(Lsn::new);
    }

    @Provide
    Arbitrary<Long> xids() {
        return Arbitraries.longs().between(1, Long.MAX_VALUE);
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs().between(-62_135_596_800_000_000L, 253_402_300_799_999_999L)
                .map(EventCodec::fromMicros);
    }

    @Provide
    Arbitrary<Value> values() {
        return Arbitraries.lazyOf(() -> scalars(), () -> arrays());
    }

    private Arbitrary<Value> arrays() {
        return scalars().filter(v -> !(v instanceof Value.Unchanged))
                .list().ofMaxSize(5).map(Value.Array::new);
    }

    private Arbitrary<Value> scalars() {
        return Arbitraries.oneOf(List.of(
                Arbitraries.just(Value.Null.INSTANCE),
                Arbitraries.just(Value.Unchanged.INSTANCE),
                Arbitraries.of(true, false).map(Value.Bool::new),
                Arbitraries.longs().map(Value.Int::new),
                numerics(),
                Arbitraries.doubles().withSpecialValue(Double.NaN).withSpecialValue(Double.POSITIVE_INFINITY)
                        .withSpecialValue(Double.NEGATIVE_INFINITY).withSpecialValue(-0.0)
                        .withSpecialValue(Double.MIN_VALUE).withSpecialValue(Double.MAX_VALUE)
                        .map(Value.Float64::new),
                Arbitraries.floats().map(f -> new Value.Float64(f)),
                unicode().map(Value.Text::new),
                unicode().map(Value.Json::new),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(Value.Bytes::new),
                Arbitraries.longs().map(l -> new Value.Uuid(new UUID(l, ~l))),
                Arbitraries.longs().between(-4713 * 366L, 5_874_897 * 365L).map(d -> new Value.Date(LocalDate.ofEpochDay(d))),
                micros(86_400_000_000L).map(m -> new Value.Time(LocalTime.ofNanoOfDay(m * 1000))),
                Combinators.combine(micros(86_400_000_000L), Arbitraries.integers().between(-15 * 3600, 15 * 3600))
                        .as((m, off) -> new Value.TimeTz(OffsetTime.of(LocalTime.ofNanoOfDay(m * 1000),
                                ZoneOffset.ofTotalSeconds(off)))),
                instants().map(i -> new Value.Timestamp(LocalDateTime.ofEpochSecond(i.getEpochSecond(), i.getNano(), ZoneOffset.UTC))),
                instants().map(Value.TimestampTz::new),
                Arbitraries.of(true, false).map(Value.Infinity::new),
                Combinators.combine(Arbitraries.integers(), Arbitraries.integers(), Arbitraries.longs())
                        .as(Value.Interval::new)));
    }

    /** Any text PostgreSQL can hold: every code point, supplementary ones included, but no unpaired surrogate. */
    private static Arbitrary<String> unicode() {
        return Arbitraries.integers().between(1, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                .list().ofMaxSize(40)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
    }

    private static Arbitrary<Long> micros(long below) {
        return Arbitraries.longs().between(0, below - 1);
    }

    private static Arbitrary<Value> numerics() {
        Arbitrary<Value> finite = Combinators.combine(
                Arbitraries.bigIntegers().between(BigInteger.TEN.pow(40).negate(), BigInteger.TEN.pow(40)),
                Arbitraries.integers().between(0, 30))
                .as((unscaled, scale) -> Value.Numeric.of(new BigDecimal(unscaled, scale)));
        return Arbitraries.oneOf(finite, Arbitraries.of("NaN", "Infinity", "-Infinity", "0.000", "-0.10")
                .map(Value.Numeric::new));
    }
}
