package io.sluice.format;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The wire form of one {@link Value}: JSON {@code null} for SQL NULL, otherwise an object with one
 * field whose name is the value's tag (table in FORMAT.md).
 */
final class ValueCodec {

    private ValueCodec() {
    }

    static void write(JsonGenerator g, Value value) throws IOException {
        if (value instanceof Value.Null) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        if (value instanceof Value.Unchanged) {
            g.writeBooleanField("unchanged", true);
        } else if (value instanceof Value.Bool v) {
            g.writeBooleanField("b", v.value());
        } else if (value instanceof Value.Int v) {
            g.writeNumberField("i", v.value());
        } else if (value instanceof Value.Numeric v) {
            g.writeStringField("n", v.text());
        } else if (value instanceof Value.Float64 v) {
            double d = v.value();
            if (Double.isFinite(d)) {
                g.writeNumberField("f", d);
            } else {
                g.writeStringField("f", Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            }
        } else if (value instanceof Value.Text v) {
            g.writeStringField("s", v.value());
        } else if (value instanceof Value.Json v) {
            g.writeStringField("j", v.value());
        } else if (value instanceof Value.Bytes v) {
            g.writeFieldName("x");
            g.writeBinary(v.value());
        } else if (value instanceof Value.Uuid v) {
            g.writeStringField("u", v.value().toString());
        } else if (value instanceof Value.Date v) {
            g.writeStringField("d", v.value().toString());
        } else if (value instanceof Value.Time v) {
            g.writeStringField("t", v.value().toString());
        } else if (value instanceof Value.TimeTz v) {
            g.writeStringField("tz", v.value().toString());
        } else if (value instanceof Value.Timestamp v) {
            g.writeStringField("ts", v.value().toString());
        } else if (value instanceof Value.TimestampTz v) {
            g.writeStringField("tstz", v.value().toString());
        } else if (value instanceof Value.Infinity v) {
            g.writeStringField("inf", v.positive() ? "+" : "-");
        } else if (value instanceof Value.Interval v) {
            g.writeArrayFieldStart("iv");
            g.writeNumber(v.months());
            g.writeNumber(v.days());
            g.writeNumber(v.micros());
            g.writeEndArray();
        } else if (value instanceof Value.Array v) {
            g.writeArrayFieldStart("a");
            for (Value e : v.elements()) {
                write(g, e);
            }
            g.writeEndArray();
        } else {
            throw new IllegalStateException("no wire form for " + value.getClass());
        }
        g.writeEndObject();
    }

    /** Reads the value at the parser's current token. */
    static Value read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return Value.Null.INSTANCE;
        }
        if (t != JsonToken.START_OBJECT) {
            throw fail(p, "a value must be null or a one-field object {tag: value}, found " + t);
        }
        if (p.nextToken() != JsonToken.FIELD_NAME) {
            throw fail(p, "a value object must have exactly one tag field");
        }
        String tag = p.currentName();
        p.nextToken();
        Value value = readTagged(p, tag);
        if (p.nextToken() != JsonToken.END_OBJECT) {
            throw fail(p, "a value object must have exactly one tag field, found more after '" + tag + "'");
        }
        return value;
    }

    private static Value readTagged(JsonParser p, String tag) throws IOException {
        try {
            return switch (tag) {
                case "unchanged" -> {
                    if (p.currentToken() != JsonToken.VALUE_TRUE) {
                        throw fail(p, "tag 'unchanged' must be true");
                    }
                    yield Value.Unchanged.INSTANCE;
                }
                case "b" -> {
                    JsonToken t = p.currentToken();
                    if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                        throw fail(p, "tag 'b' must be true or false");
                    }
                    yield new Value.Bool(t == JsonToken.VALUE_TRUE);
                }
                case "i" -> {
                    if (p.currentToken() != JsonToken.VALUE_NUMBER_INT
                            || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                        throw fail(p, "tag 'i' must be a 64-bit integer");
                    }
                    yield new Value.Int(p.getLongValue());
                }
                case "n" -> new Value.Numeric(text(p, tag));
                case "f" -> new Value.Float64(float64(p));
                case "s" -> new Value.Text(text(p, tag));
                case "j" -> new Value.Json(text(p, tag));
                case "x" -> {
                    text(p, tag);
                    yield new Value.Bytes(p.getBinaryValue());
                }
                case "u" -> new Value.Uuid(UUID.fromString(text(p, tag)));
                case "d" -> new Value.Date(LocalDate.parse(text(p, tag)));
                case "t" -> new Value.Time(LocalTime.parse(text(p, tag)));
                case "tz" -> new Value.TimeTz(OffsetTime.parse(text(p, tag)));
                case "ts" -> new Value.Timestamp(LocalDateTime.parse(text(p, tag)));
                case "tstz" -> new Value.TimestampTz(Instant.parse(text(p, tag)));
                case "inf" -> {
                    String sign = text(p, tag);
                    if (!sign.equals("+") && !sign.equals("-")) {
                        throw fail(p, "tag 'inf' must be \"+\" or \"-\"");
                    }
                    yield new Value.Infinity(sign.equals("+"));
                }
                case "iv" -> interval(p);
                case "a" -> {
                    if (p.currentToken() != JsonToken.START_ARRAY) {
                        throw fail(p, "tag 'a' must be an array");
                    }
                    List<Value> elements = new ArrayList<>();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        elements.add(read(p));
                    }
                    yield new Value.Array(elements);
                }
                default -> throw fail(p, "unknown value tag '" + tag + "'");
            };
        } catch (DateTimeParseException | IllegalArgumentException | ArithmeticException e) {
            throw fail(p, "bad '" + tag + "' value: " + e.getMessage());
        }
    }

    private static String text(JsonParser p, String tag) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw fail(p, "tag '" + tag + "' must be a string, found " + p.currentToken());
        }
        return p.getText();
    }

    private static double float64(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
            return Double.parseDouble(p.getText());
        }
        if (t == JsonToken.VALUE_STRING) {
            return switch (p.getText()) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw fail(p, "tag 'f' string must be NaN, Infinity or -Infinity");
            };
        }
        throw fail(p, "tag 'f' must be a number or NaN/Infinity/-Infinity");
    }

    private static Value interval(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw fail(p, "tag 'iv' must be [months, days, microseconds]");
        }
        long[] parts = new long[3];
        int n = 0;
        while (p.nextToken() == JsonToken.VALUE_NUMBER_INT && n < 3) {
            parts[n++] = p.getLongValue();
        }
        if (n != 3 || p.currentToken() != JsonToken.END_ARRAY) {
            throw fail(p, "tag 'iv' must be [months, days, microseconds]");
        }
        return new Value.Interval(Math.toIntExact(parts[0]), Math.toIntExact(parts[1]), parts[2]);
    }

    private static FormatException fail(JsonParser p, String reason) {
        return new FormatException(reason + " (at byte " + p.currentTokenLocation().getByteOffset() + ")");
    }
}
