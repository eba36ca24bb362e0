package io.sluice.capture.internal.pgoutput;

import java.util.Map;

/**
 * An array of enum values in PostgreSQL's text form ({@code array_out}: braces, commas, elements double-quoted where
 * they must be, {@code NULL}, an optional {@code [1:2]=} bounds prefix), its elements renamed. Everything but a renamed
 * element is kept as it came. Stateless.
 */
final class EnumArrayText {

    private EnumArrayText() {
    }

    /** {@code text} with each element {@code names} holds given its new name (quoted as {@code array_out} would). */
    static String renamed(String text, Map<String, String> names) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        int i = text.indexOf('{');
        if (i < 0) {
            return text;
        }
        out.append(text, 0, i);
        boolean changed = false;
        while (i < text.length()) {
            char ch = text.charAt(i);
            if (ch == '{' || ch == '}' || ch == ',') {
                out.append(ch);
                i++;
                continue;
            }
            int start = i;
            StringBuilder element = new StringBuilder();
            boolean quoted = ch == '"';
            if (quoted) {
                i++;
                while (i < text.length() && text.charAt(i) != '"') {
                    if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                        i++;
                    }
                    element.append(text.charAt(i++));
                }
                i++; // the closing quote
            } else {
                while (i < text.length() && ",}".indexOf(text.charAt(i)) < 0) {
                    if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                        i++;
                    }
                    element.append(text.charAt(i++));
                }
            }
            String value = element.toString();
            String now = !quoted && value.equalsIgnoreCase("NULL") ? null : names.get(value);
            if (now == null) {
                out.append(text, start, i);
            } else {
                out.append(quote(now));
                changed = true;
            }
        }
        return changed ? out.toString() : text;
    }

    /** An element as {@code array_out} writes it: double-quoted when empty, NULL, or holding what would end it. */
    private static String quote(String element) {
        boolean needs = element.isEmpty() || element.equalsIgnoreCase("NULL");
        for (int i = 0; i < element.length() && !needs; i++) {
            char ch = element.charAt(i);
            needs = "{}\",\\".indexOf(ch) >= 0 || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == 0x0B || ch == '\f';
        }
        if (!needs) {
            return element;
        }
        return "\"" + element.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
