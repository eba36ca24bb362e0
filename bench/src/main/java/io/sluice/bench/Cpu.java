package io.sluice.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * CPU used during a phase of a benchmark, in core-seconds: this JVM (Sluice and the in-JVM broker),
 * a process the phase started (an applier of its own), and every PostgreSQL server that ran
 * through the phase. Read from Linux /proc (USER_HZ, 1/100 s);
 * PostgreSQL and per-thread figures are 0 or empty where /proc is missing.
 */
public record Cpu(double jvm, double process, double postgres) {

    /** The JIT compiler threads' name in /proc, digits dropped. */
    private static final String JIT = "C# CompilerThre";

    /**
     * Where a phase starts: this JVM's CPU time, each PostgreSQL server's ticks by its postmaster's
     * pid (so a server stopped or started during the phase does not count its whole life) and each
     * JVM thread group's ticks.
     */
    record Mark(double jvm, Map<Integer, Long> servers, Map<String, Long> threads) { }

    static Mark mark() {
        return new Mark(jvmSeconds(), postgresTicksByServer(), jvmThreadTicks());
    }

    /** The CPU used since {@code start}. */
    static Cpu since(Mark start) {
        long ticks = 0;
        for (Map.Entry<Integer, Long> server : postgresTicksByServer().entrySet()) {
            ticks += server.getValue() - start.servers().getOrDefault(server.getKey(), 0L);
        }
        return new Cpu(jvmSeconds() - start.jvm(), 0, ticks / 100.0);
    }

    /** Core-seconds the PostgreSQL server whose postmaster is {@code pid} used since {@code start}; 0 where /proc is missing. */
    static double postgresSeconds(Mark start, long pid) {
        Long now = postgresTicksByServer().get((int) pid);
        return now == null ? 0 : (now - start.servers().getOrDefault((int) pid, 0L)) / 100.0;
    }

    /** The same with the whole life so far of a process started during the phase (read while it runs). */
    Cpu withProcess(long pid) {
        try {
            return new Cpu(jvm, Stat.read(new File("/proc/" + pid)).ticks(11, 12, 13, 14) / 100.0, postgres);
        } catch (IOException | RuntimeException gone) {
            return this;
        }
    }

    /** The CPU a running process has used in its whole life so far, in core-seconds; 0 where /proc is missing. */
    static double processSeconds(long pid) {
        try {
            return Stat.read(new File("/proc/" + pid)).ticks(11, 12) / 100.0;
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** Ticks of the JVM {@code pid}'s threads, keyed "tid group"; pass to {@link #busiestThreads(long, Map, int)}. */
    static Map<String, Long> threadTicks(long pid) {
        return threadTicks(new File("/proc/" + pid + "/task"));
    }

    /** The threads of the JVM {@code pid} that used the most CPU since {@code start}, as "name 1.23 s". */
    static String busiestThreads(long pid, Map<String, Long> start, int top) {
        return busiest(threadTicks(pid), start, top);
    }

    /** The threads of a process started during the phase that used the most CPU, as "name 1.23 s". */
    static String busiestThreads(long pid, int top) {
        return busiest(threadTicks(new File("/proc/" + pid + "/task")), Map.of(), top);
    }

    /** Core-seconds the JIT compiler threads of the JVM {@code pid} have used in its whole life so far. */
    static double compilerSeconds(long pid) {
        return ofGroup(threadTicks(new File("/proc/" + pid + "/task")), JIT) / 100.0;
    }

    /** The JVM thread groups that used the most CPU since {@code start}, as "name 1.23 s". */
    static String busiestThreads(Mark start, int top) {
        return busiest(jvmThreadTicks(), start.threads(), top);
    }

    /**
     * Each thread's ticks since {@code start}, by thread id (a thread that ended took its ticks with
     * it, and a new one of the same name starts from 0), summed by group.
     */
    private static String busiest(Map<String, Long> now, Map<String, Long> start, int top) {
        Map<String, Long> byGroup = new TreeMap<>();
        now.forEach((thread, ticks) -> byGroup.merge(group(thread), ticks - start.getOrDefault(thread, 0L), Long::sum));
        return byGroup.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .map(e -> String.format(Locale.ROOT, "%s %.2f s", e.getKey(), e.getValue() / 100.0))
                .collect(Collectors.joining(", "));
    }

    String describe(double seconds) {
        return String.format(Locale.ROOT, "CPU %.2f core-s in the JVM%s + %.2f in PostgreSQL = %.2f of %d cores", jvm,
                process == 0 ? "" : String.format(Locale.ROOT, " + %.2f in the applier's process", process), postgres,
                (jvm + process + postgres) / seconds, Runtime.getRuntime().availableProcessors());
    }

    private static double jvmSeconds() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getProcessCpuTime() / 1e9;
    }

    /** A process's or thread's {@code stat}: its name, then the fields after it (state is [0], ppid [1], utime [11]). */
    private record Stat(String name, String[] fields) {
        static Stat read(File dir) throws IOException {
            String stat = Files.readString(dir.toPath().resolve("stat"));
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            return new Stat(stat.substring(open + 1, close), stat.substring(close + 2).split(" "));
        }

        long ticks(int... fields) {
            long sum = 0;
            for (int f : fields) {
                sum += Long.parseLong(this.fields[f]);
            }
            return sum;
        }
    }

    /**
     * Ticks of each PostgreSQL server by its postmaster's pid: the postmaster and its processes,
     * each with its exited children (a backend that exits moves its time into the postmaster's
     * cutime, so a server's sum never goes backwards).
     */
    private static Map<Integer, Long> postgresTicksByServer() {
        Map<Integer, long[]> procs = new HashMap<>(); // pid -> {ppid, ticks}
        File[] dirs = new File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        if (dirs == null) {
            return Map.of();
        }
        for (File proc : dirs) {
            try {
                Stat s = Stat.read(proc);
                if (s.name().equals("postgres")) {
                    // utime, stime, cutime, cstime
                    procs.put(Integer.parseInt(proc.getName()), new long[] {Long.parseLong(s.fields()[1]), s.ticks(11, 12, 13, 14)});
                }
            } catch (IOException | RuntimeException gone) {
                // the process ended while we read it
            }
        }
        Map<Integer, Long> servers = new HashMap<>();
        procs.forEach((pid, p) -> servers.merge(procs.containsKey((int) p[0]) ? (int) p[0] : pid, p[1], Long::sum));
        return servers;
    }

    /** Ticks of this JVM's threads, keyed "tid group" ({@link #threadTicks(File)}). */
    private static Map<String, Long> jvmThreadTicks() {
        return threadTicks(new File("/proc/self/task"));
    }

    /**
     * Ticks of a process's threads keyed "tid group": the group is the thread's name with digits
     * dropped, so pools group together ("GC Thread#", "C# CompilerThre").
     */
    private static Map<String, Long> threadTicks(File taskDir) {
        Map<String, Long> ticks = new TreeMap<>();
        File[] tasks = taskDir.listFiles();
        if (tasks == null) {
            return ticks;
        }
        for (File task : tasks) {
            try {
                Stat s = Stat.read(task);
                ticks.put(task.getName() + " " + s.name().replaceAll("[0-9]+", "#"), s.ticks(11, 12));
            } catch (IOException | RuntimeException gone) {
                // the thread ended while we read it
            }
        }
        return ticks;
    }

    private static String group(String thread) {
        return thread.substring(thread.indexOf(' ') + 1);
    }

    private static long ofGroup(Map<String, Long> threads, String group) {
        return threads.entrySet().stream().filter(e -> group(e.getKey()).equals(group)).mapToLong(Map.Entry::getValue).sum();
    }
}
