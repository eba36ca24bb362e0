package io.sluice.cli.config;

import java.util.List;

/**
 * A configuration that cannot be used. Lists every problem found, each as
 * {@code key=value: reason}, so one run shows them all.
 */
public class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient List<String> problems;

    public ConfigException(String origin, List<String> problems) {
        super(problems.size() + " configuration problem" + (problems.size() == 1 ? "" : "s") + " in " + origin
                + ":\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
