package io.sluice.cli.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static check of the {@code docker/} stack, for machines without a Docker engine: the compose
 * file, every mounted file, every Sluice configuration (through the real parser), Prometheus'
 * configuration and rules, and the Grafana dashboard. Returns every problem found, each naming
 * the file and what is wrong.
 */
final class DockerStackCheck {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern METRIC = Pattern.compile("sluice_[a-z0-9_]+");
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?}");

    private final Path docker;
    private final Path repo;
    private final Set<String> problems = new LinkedHashSet<>();
    private String operations = "";

    DockerStackCheck(Path docker) {
        this.docker = docker.toAbsolutePath().normalize();
        this.repo = this.docker.getParent();
    }

    List<String> run() throws IOException {
        check();
        return List.copyOf(problems);
    }

    private void check() throws IOException {
        Path docs = repo.resolve("docs/operations.md");
        operations = Files.exists(docs) ? Files.readString(docs) : "";
        JsonNode compose = read(docker.resolve("compose.yaml"), true);
        if (compose == null) {
            return;
        }
        JsonNode services = compose.path("services");
        if (!services.isObject() || services.isEmpty()) {
            problem("compose.yaml", "no services");
            return;
        }
        Set<String> volumes = new LinkedHashSet<>();
        compose.path("volumes").fieldNames().forEachRemaining(volumes::add);
        for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            service(e.getKey(), merged(e.getValue()), services, volumes);
        }
    }

    /** YAML merge keys ({@code <<: *anchor}) if the reader left them: the anchor's fields under the service's own. */
    private static JsonNode merged(JsonNode node) {
        if (!node.has("<<") || !node.get("<<").isObject()) {
            return node;
        }
        ObjectNode out = ((ObjectNode) node.get("<<")).deepCopy();
        node.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("<<")) {
                out.set(f.getKey(), f.getValue());
            }
        });
        return out;
    }

    private void service(String name, JsonNode s, JsonNode services, Set<String> volumes) throws IOException {
        String where = "compose.yaml service " + name;
        if (!s.has("image") && !s.has("build")) {
            problem(where, "has neither image nor build");
        }
        if (s.has("build")) {
            Path context = docker.resolve(s.path("build").path("context").asText(".")).normalize();
            Path dockerfile = context.resolve(s.path("build").path("dockerfile").asText("Dockerfile"));
            if (!Files.isRegularFile(dockerfile)) {
                problem(where, "build dockerfile " + dockerfile + " does not exist");
            }
        }
        for (JsonNode p : s.path("ports")) {
            if (!p.asText().matches("\\d{1,5}:\\d{1,5}")) {
                problem(where, "port '" + p.asText() + "' is not host:container");
            }
        }
        Map<String, Path> mounts = new HashMap<>();
        for (JsonNode v : s.path("volumes")) {
            String[] parts = v.asText().split(":");
            if (parts.length < 2) {
                problem(where, "volume '" + v.asText() + "' is not source:target");
                continue;
            }
            if (parts[0].startsWith(".")) {
                Path source = docker.resolve(parts[0]).normalize();
                if (!Files.exists(source)) {
                    problem(where, "mounted " + parts[0] + " does not exist");
                }
                mounts.put(parts[1], source);
            } else if (!volumes.contains(parts[0])) {
                problem(where, "named volume " + parts[0] + " is not declared under volumes:");
            }
        }
        JsonNode deps = s.path("depends_on");
        Iterator<String> depNames = deps.isArray() ? textValues(deps) : deps.fieldNames();
        while (depNames.hasNext()) {
            String dep = depNames.next();
            if (!services.has(dep)) {
                problem(where, "depends on unknown service " + dep);
            } else if ("service_healthy".equals(deps.path(dep).path("condition").asText())
                    && !merged(services.get(dep)).has("healthcheck")) {
                problem(where, "waits for " + dep + " to be healthy, but " + dep + " has no healthcheck");
            }
        }
        List<String> command = new ArrayList<>();
        s.path("command").forEach(c -> command.add(c.asText()));
        int config = command.indexOf("--config");
        if (config >= 0 && s.has("build")) {
            sluiceService(where, s, command, mounts.get(command.get(config + 1)));
        }
        if (name.equals("prometheus")) {
            prometheus(where, command, mounts);
        }
        if (name.equals("grafana")) {
            grafana(mounts);
        }
    }

    private void sluiceService(String where, JsonNode s, List<String> command, Path configFile) {
        if (!List.of("capture", "apply", "monitor").contains(command.get(0))) {
            problem(where, "runs unknown sluice command " + command.get(0));
        }
        if (configFile == null) {
            problem(where, "--config " + command.get(command.indexOf("--config") + 1) + " is not a mounted file");
            return;
        }
        Map<String, String> env = new HashMap<>();
        s.path("environment").fields().forEachRemaining(f -> env.put(f.getKey(), resolve(f.getValue().asText())));
        try {
            new ConfigParser(env::get).parse(configFile);
        } catch (ConfigException e) {
            for (String p : e.problems()) {
                problem(docker.relativize(configFile).toString(), p);
            }
        }
        int follower = command.indexOf("--follower");
        if (follower >= 0) {
            java.util.Properties props = new java.util.Properties();
            try (var in = Files.newBufferedReader(configFile)) {
                props.load(in);
            } catch (IOException e) {
                problem(where, "cannot read " + configFile + ": " + e.getMessage());
            }
            String prefix = "followers." + command.get(follower + 1) + ".";
            if (props.stringPropertyNames().stream().noneMatch(k -> k.startsWith(prefix))) {
                problem(where, "--follower " + command.get(follower + 1) + " is not in " + docker.relativize(configFile));
            }
        }
    }

    /** {@code ${VAR:-default}} as compose resolves it with nothing set. */
    private static String resolve(String value) {
        Matcher m = ENV.matcher(value);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(m.group(2) == null ? "" : m.group(2)));
        }
        return m.appendTail(b).toString();
    }

    private void prometheus(String where, List<String> command, Map<String, Path> mounts) throws IOException {
        String configPath = command.stream().filter(c -> c.startsWith("--config.file=")).map(c -> c.substring(14))
                .findFirst().orElse("/etc/prometheus/prometheus.yml");
        Path config = mounts.get(configPath);
        if (config == null) {
            problem(where, configPath + " is not mounted");
            return;
        }
        JsonNode p = read(config, true);
        if (p == null) {
            return;
        }
        for (JsonNode rules : p.path("rule_files")) {
            Path file = mounts.get(rules.asText());
            if (file == null) {
                problem("prometheus.yml", "rule file " + rules.asText() + " is not mounted");
                continue;
            }
            JsonNode r = read(file, true);
            if (r == null) {
                continue;
            }
            int count = 0;
            for (JsonNode group : r.path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    count++;
                    if (!rule.hasNonNull("alert") || !rule.hasNonNull("expr")) {
                        problem(file.getFileName().toString(), "a rule without alert or expr: " + rule);
                    } else {
                        documented(file.getFileName() + " alert " + rule.get("alert").asText(), rule.get("expr").asText());
                    }
                }
            }
            if (count == 0) {
                problem(file.getFileName().toString(), "no alert rules");
            }
        }
        for (JsonNode job : p.path("scrape_configs")) {
            String credentials = job.path("authorization").path("credentials_file").asText(null);
            if (credentials != null && !mounts.containsKey(credentials)) {
                problem("prometheus.yml", "credentials_file " + credentials + " is not mounted");
            }
            for (JsonNode sc : job.path("static_configs")) {
                for (JsonNode t : sc.path("targets")) {
                    if (!t.asText().matches("[a-z0-9-]+:\\d+")) {
                        problem("prometheus.yml", "target " + t.asText() + " is not service:port");
                    }
                }
            }
        }
    }

    private void grafana(Map<String, Path> mounts) throws IOException {
        for (Map.Entry<String, Path> m : mounts.entrySet()) {
            if (!Files.isDirectory(m.getValue())) {
                continue;
            }
            try (var files = Files.list(m.getValue())) {
                for (Path f : files.toList()) {
                    if (f.toString().endsWith(".json")) {
                        JsonNode d = read(f, false);
                        if (d != null) {
                            if (!d.path("panels").isArray() || d.path("panels").isEmpty()) {
                                problem(f.getFileName().toString(), "dashboard without panels");
                            }
                            for (JsonNode panel : d.path("panels")) {
                                for (JsonNode target : panel.path("targets")) {
                                    documented(f.getFileName() + " panel '" + panel.path("title").asText() + "'",
                                            target.path("expr").asText());
                                }
                            }
                        }
                    } else if (f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")) {
                        read(f, true);
                    }
                }
            }
        }
    }

    /** Every Sluice metric an expression uses must be one docs/operations.md documents (and so one /metrics has). */
    private void documented(String where, String expr) {
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            String name = m.group().replaceAll("_(bucket|sum|count)$", "");
            if (!operations.contains("`" + name + "`")) {
                problem(where, "uses " + m.group() + ", which is not a documented Sluice metric");
            }
        }
    }

    private JsonNode read(Path file, boolean yaml) {
        try {
            if (yaml) {
                // SnakeYAML resolves anchors, aliases and merge keys (<<: *x), which compose files use.
                Object doc = new org.yaml.snakeyaml.Yaml().load(Files.readString(file));
                return JSON.valueToTree(doc);
            }
            return JSON.readTree(file.toFile());
        } catch (IOException | RuntimeException e) {
            problem(docker.relativize(file.toAbsolutePath().normalize()).toString(), "does not parse: " + e.getMessage());
            return null;
        }
    }

    private static Iterator<String> textValues(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out.iterator();
    }

    private void problem(String where, String what) {
        problems.add(where + ": " + what);
    }
}
