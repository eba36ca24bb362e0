package io.sluice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a scenario several times (after a discarded warm-up run), and reports every numeric
 * measurement as min / median / max, with the JVM and machine it ran on: as JSON (for tooling)
 * and as a Markdown table (for docs/benchmarks.md). A run whose followers did not equal the
 * primary is void: it is reported, and the command fails.
 */
public final class Harness {

    /** One run of a scenario: measurements by name (numbers, or text). */
    @FunctionalInterface
    public interface Scenario {
        Map<String, Object> run(int index) throws Exception;
    }

    private Harness() {
    }

    public static Map<String, Object> run(String name, Map<String, Object> parameters, int repeat, Scenario warmup,
                                          Scenario scenario) throws Exception {
        return run(name, parameters, repeat, warmup == null ? 0 : 1, warmup, scenario);
    }

    /** {@code warmups} discarded runs of {@code warmup} first (indexes -1, -2, …). */
    public static Map<String, Object> run(String name, Map<String, Object> parameters, int repeat, int warmups, Scenario warmup,
                                          Scenario scenario) throws Exception {
        for (int i = 1; warmup != null && i <= warmups; i++) {
            System.out.printf("warm-up run %d of %d (discarded) ...%n", i, warmups);
            warmup.run(-i);
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            System.out.printf("run %d of %d ...%n", i + 1, repeat);
            runs.add(scenario.run(i));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", name);
        out.put("parameters", parameters);
        out.put("machine", machine());
        out.put("runs", runs);
        out.put("summary", summary(runs));
        out.put("valid", runs.stream().allMatch(r -> !Boolean.FALSE.equals(r.get("equal"))));
        return out;
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        try {
            Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .ifPresent(l -> m.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
        } catch (Exception e) {
            m.put("cpu", "unknown");
        }
        m.put("servers", "embedded PostgreSQL 17 (zonky, fsync=off) and Kafka 4.3 (KRaft, in this JVM)");
        return m;
    }

    /** min / median / max of every numeric field over the runs. */
    static Map<String, Object> summary(List<Map<String, Object>> runs) {
        Map<String, Object> s = new LinkedHashMap<>();
        if (runs.isEmpty()) {
            return s;
        }
        for (String key : runs.get(0).keySet()) {
            double[] v = runs.stream().map(r -> r.get(key)).filter(o -> o instanceof Number)
                    .mapToDouble(o -> ((Number) o).doubleValue()).sorted().toArray();
            if (v.length == runs.size()) {
                s.put(key, Map.of("min", v[0], "median", v[v.length / 2], "max", v[v.length - 1]));
            }
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    public static String markdown(Map<String, Object> result) {
        StringBuilder b = new StringBuilder();
        Map<String, Object> machine = (Map<String, Object>) result.get("machine");
        b.append(String.format(Locale.ROOT, "%s %s — %s, %s cores, %s, heap %s MiB%n%n", result.get("scenario"),
                result.get("parameters"), machine.get("java"), machine.get("cores"), machine.getOrDefault("cpu", "?"),
                machine.get("max_heap_mib")));
        b.append("| measurement | min | median | max |\n|---|---|---|---|\n");
        ((Map<String, Object>) result.get("summary")).forEach((k, v) -> {
            Map<String, Double> m = (Map<String, Double>) v;
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", k, fmt(m.get("min")), fmt(m.get("median")), fmt(m.get("max"))));
        });
        b.append(Boolean.TRUE.equals(result.get("valid")) ? "\nevery follower equalled the primary in every run\n"
                : "\nVOID: a follower differed from the primary in at least one run\n");
        return b.toString();
    }

    private static String fmt(double d) {
        if (Math.abs(d) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", d);
        }
        return String.format(Locale.ROOT, "%.2f", d);
    }

    public static void write(Map<String, Object> result, Path out) throws Exception {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
    }
}
