package io.sluice.cli.demo;

import java.io.PrintStream;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * What {@code sluice demo} shows: in a terminal a live view redrawn every second (the servers,
 * writes/s, one line per follower with state, staleness and latency, and the latest events);
 * otherwise ({@code --no-ui}, or output not a terminal) the same as plain lines.
 */
final class DemoView {

    /** One follower in the view. {@code p50Ms}/{@code p99Ms} are negative when nothing was applied this second. */
    record Row(String name, boolean sync, String state, double stalenessSeconds, double p50Ms, double p99Ms, int commits) { }

    private static final int EVENTS = 10;
    private static final java.time.format.DateTimeFormatter TIME = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    private final PrintStream out;
    private final boolean live;
    private final List<String> header = new ArrayList<>();
    private final Deque<String> events = new ArrayDeque<>();
    private String status = "";
    private String progress = "";

    DemoView(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    synchronized void header(String line) {
        header.add(line);
        if (live) {
            redraw();
        } else {
            out.println("  " + line);
        }
    }

    synchronized void progress(String label, long done, long total) {
        int width = 30;
        int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
        progress = String.format(Locale.ROOT, "%s [%s%s] %3d%% (%d/%d rows)", label, "#".repeat(filled), ".".repeat(width - filled),
                total == 0 ? 100 : done * 100 / total, done, total);
        if (live) {
            redraw();
        } else {
            out.println(progress);
        }
    }

    synchronized void event(String text) {
        String line = "[" + LocalTime.now().format(TIME) + "] " + text;
        events.addLast(line);
        while (events.size() > EVENTS) {
            events.removeFirst();
        }
        if (live) {
            redraw();
        } else {
            out.println(line);
        }
    }

    synchronized void report(long writesPerSecond, List<Row> rows) {
        StringBuilder b = new StringBuilder();
        if (live) {
            b.append(String.format(Locale.ROOT, "writes %5d/s%n%n", writesPerSecond));
            b.append(String.format(Locale.ROOT, "  %-9s %-6s %-8s %-11s %-24s %s%n", "FOLLOWER", "MODE", "STATE", "STALENESS",
                    "COMMIT->APPLIED p50/p99", "FOLLOWER TX/s"));
            for (Row r : rows) {
                b.append(String.format(Locale.ROOT, "  %-9s %-6s %-8s %-11s %-24s %d%n", r.name(), r.sync() ? "sync" : "async",
                        r.state(), String.format(Locale.ROOT, "%.0f ms", r.stalenessSeconds() * 1000), latency(r), r.commits()));
            }
            status = b.toString();
            redraw();
        } else {
            b.append(String.format(Locale.ROOT, "[%s] writes %4d/s", LocalTime.now().format(TIME),
                    writesPerSecond));
            for (Row r : rows) {
                b.append(String.format(Locale.ROOT, " | %s %s staleness %.0f ms, commit->applied %s", r.name(), r.state(),
                        r.stalenessSeconds() * 1000, latency(r)));
            }
            out.println(b);
        }
    }

    /** A status block of the demo's own (the multi-leader demo's): redrawn in place live, a plain line otherwise. */
    synchronized void status(String text) {
        if (live) {
            status = text;
            redraw();
        } else {
            out.printf("[%s] %s%n", LocalTime.now().format(TIME), text.strip().replace("\n", " | "));
        }
    }

    private static String latency(Row r) {
        return r.p50Ms() < 0 ? "-" : String.format(Locale.ROOT, "%.1f/%.1f ms", r.p50Ms(), r.p99Ms());
    }

    /** Leaves the live view in place and continues with plain lines. */
    synchronized void done() {
        if (live) {
            redraw();
            out.println();
        }
    }

    private void redraw() {
        StringBuilder b = new StringBuilder("\033[H\033[2J");
        b.append("sluice demo  (Ctrl-C stops everything)").append(System.lineSeparator());
        header.forEach(h -> b.append("  ").append(h).append(System.lineSeparator()));
        b.append(System.lineSeparator());
        if (!progress.isEmpty()) {
            b.append(progress).append(System.lineSeparator());
        }
        b.append(status).append(System.lineSeparator()).append("events:").append(System.lineSeparator());
        events.forEach(e -> b.append("  ").append(e).append(System.lineSeparator()));
        out.print(b);
        out.flush();
    }
}
