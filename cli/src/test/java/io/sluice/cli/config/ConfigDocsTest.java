package io.sluice.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md's key table against the parser: every key the parser reads is documented,
 * every documented key is read, and every default the table writes as a literal is the parser's.
 */
class ConfigDocsTest {

    private static final Pattern CODE = Pattern.compile("`([^`]*)`");
    private static final Pattern BRACES = Pattern.compile("\\{([^}]*)}");

    /** A configuration naming one follower of each kind and a monitor rule for one, so that every key gets read. */
    private static Map<String, String> parserKeys() {
        Map<String, String> values = Map.of("followers.f.url", "embedded", "followers.t.kind", "topics",
                "followers.d.kind", "duckdb", "followers.d.file", "d.duckdb", "monitor.followers.f.warn.ms", "100");
        Map<String, String> read = new TreeMap<>();
        new ConfigParser(name -> null).keysRead(values).forEach((k, v) -> read.put(k
                .replaceFirst("^followers\\.[a-z]+\\.", "followers.<name>.")
                .replaceFirst("^monitor\\.followers\\.[a-z]+\\.", "monitor.followers.<name>."), v));
        return read;
    }

    /** The table's rows: each key (braces expanded) with its default as written, null where the row gives none. */
    private static Map<String, String> documentedKeys() throws Exception {
        Map<String, String> keys = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(docs())) {
            if (line.startsWith("| key | default |")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("\\|");
            List<String> names = new ArrayList<>();
            Matcher m = CODE.matcher(cells[1]);
            while (m.find()) {
                names.addAll(expand(m.group(1)));
            }
            String[] defaults = cells[2].strip().split(",\\s*");
            for (int i = 0; i < names.size(); i++) {
                String d = defaults.length == names.size() ? defaults[i] : defaults.length == 1 ? defaults[0] : null;
                keys.put(names.get(i), literal(d));
            }
        }
        assertThat(keys).as("the key table of " + docs()).hasSizeGreaterThan(40);
        return keys;
    }

    /** A default written as one code literal without placeholders; "" for "—"; null when the cell describes it in words. */
    private static String literal(String cell) {
        if (cell == null) {
            return null;
        }
        if (cell.equals("—")) {
            return "";
        }
        Matcher m = CODE.matcher(cell);
        return m.matches() && !m.group(1).contains("<") && !m.group(1).contains("*") ? m.group(1) : null;
    }

    private static List<String> expand(String key) {
        Matcher m = BRACES.matcher(key);
        if (!m.find()) {
            return List.of(key);
        }
        List<String> out = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            out.addAll(expand(key.substring(0, m.start()) + part + key.substring(m.end())));
        }
        return out;
    }

    private static Path docs() {
        Path p = Path.of("docs", "configuration.md");
        return Files.exists(p) ? p : Path.of("..", "docs", "configuration.md");
    }

    private static boolean covered(String key, Iterable<String> patterns) {
        for (String p : patterns) {
            if (p.equals(key) || p.endsWith("*") && key.startsWith(p.substring(0, p.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everyKeyTheParserReadsIsDocumentedAndEveryDocumentedKeyIsRead() throws Exception {
        Map<String, String> parser = parserKeys();
        Map<String, String> docs = documentedKeys();
        List<String> undocumented = parser.keySet().stream().filter(k -> !covered(k, docs.keySet())).toList();
        List<String> unread = docs.keySet().stream().filter(k -> k.endsWith("*")
                ? parser.keySet().stream().noneMatch(p -> p.startsWith(k.substring(0, k.length() - 1)))
                : !covered(k, parser.keySet())).toList();
        assertThat(undocumented).as("keys the parser reads that docs/configuration.md does not list").isEmpty();
        assertThat(unread).as("keys docs/configuration.md lists that the parser never reads").isEmpty();
    }

    @Test
    void everyLiteralDefaultInTheDocsIsTheParsers() throws Exception {
        Map<String, String> parser = parserKeys();
        Map<String, String> wrong = new TreeMap<>();
        TreeSet<String> compared = new TreeSet<>();
        documentedKeys().forEach((key, documented) -> {
            if (documented != null && parser.containsKey(key)) {
                compared.add(key);
                String actual = parser.get(key);
                if (!documented.equals(actual) && !(documented.matches("\\d+") && actual.matches("\\d+\\.0")
                        && Double.parseDouble(actual) == Long.parseLong(documented))) {
                    wrong.put(key, "documented " + (documented.isEmpty() ? "—" : documented) + ", parser "
                            + (actual.isEmpty() ? "none" : actual));
                }
            }
        });
        assertThat(compared).as("defaults compared").hasSizeGreaterThan(25);
        assertThat(wrong).as("defaults in docs/configuration.md that are not the parser's").isEmpty();
    }
}
