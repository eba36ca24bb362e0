package io.sluice.bench;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import io.sluice.capture.CaptureConfig;
import io.sluice.capture.CaptureService;
import io.sluice.embedded.Await;
import io.sluice.embedded.Lifeline;
import io.sluice.format.Lsn;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own that runs Sluice's capture or applier services for a benchmark, as a deployment
 * runs them: one process per role, kept up across a scenario's warm-up and timed runs, so what a
 * run measures is a service whose JIT has compiled its own role's code once — not a benchmark JVM
 * that also runs the workload, the other role and every reference client, and keeps invalidating
 * their shared profiles. The parent drives it with one line per request on the child's standard
 * input and reads one line back ({@code ok [value]} or {@code error message}, after a tag of its
 * own: the JVM itself may print to standard output, a flight recording's start for one, and such
 * lines are skipped); the child's logs go to {@code <role>.log}. It ends, closing every service,
 * when its input closes.
 */
final class ServiceProcess implements AutoCloseable {

    private static final String REPLY = "sluice-service-reply ";

    private final String role;
    private final Process process;
    private final Writer requests;
    private final BufferedReader replies;
    private final Path log;

    private ServiceProcess(String role, Process process, Path log) {
        this.role = role;
        this.process = process;
        this.log = log;
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the process for {@code role} ("capture", "applier"), its log in {@code dir}. */
    static ServiceProcess start(String role, Path dir) {
        try {
            Files.createDirectories(dir);
            Path log = dir.resolve(role + ".log");
            List<String> command = ChildJvm.command("SLUICE_BENCH_SERVICE_JAVA_OPTS", ServiceProcess.class.getName(), role);
            Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
            ServiceProcess service = new ServiceProcess(role, p, log);
            service.request("ping");
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException("starting the " + role + " process in " + dir, e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Starts a capture in this process, configured as {@link BenchStack#capture} configures one in the benchmark's own. */
    Remote capture(String source, String jdbcUrl, String bootstrap, List<String> tables, Path dir) {
        request("capture", source, BenchStack.engine().name(), jdbcUrl, bootstrap, dir.toString(), String.join(",", tables));
        return new Remote(source);
    }

    /** Starts an applier of {@code follower} in this process. */
    Remote applier(String source, String follower, String jdbcUrl, String bootstrap) {
        request("apply", source, follower, jdbcUrl, bootstrap);
        return new Remote(source);
    }

    /** A service running in this process, named by its source id. */
    final class Remote implements AutoCloseable {
        private final String source;

        private Remote(String source) {
            this.source = source;
        }

        /** Capture's last frame acknowledged by Kafka. */
        Lsn lastCommittedLsn() {
            return Lsn.parse(request("lsn", source));
        }

        /** The service's state ({@code RUNNING}, {@code FAILED}, ...). */
        String state() {
            return request("state", source);
        }

        /** Failed, or its process has ended. */
        boolean failed() {
            return !process.isAlive() || state().equals("FAILED");
        }

        /** Waits up to 10 minutes for {@code what} ({@code done}), failing at once if this service fails. */
        void await(String what, Callable<Boolean> done) {
            Await.until(Duration.ofMinutes(10), () -> what, () -> done.call() || failed());
            if (failed()) {
                throw new IllegalStateException("the " + role + " failed while waiting for " + what + "; its log: " + log);
            }
        }

        @Override
        public void close() {
            request("close", source);
        }
    }

    private synchronized String request(String... words) {
        try {
            requests.write(String.join(" ", words) + "\n");
            requests.flush();
            String reply = replies.readLine();
            while (reply != null && !reply.startsWith(REPLY)) {
                reply = replies.readLine();
            }
            if (reply == null) {
                throw new IllegalStateException("the " + role + " process ended (exit " + exitValue() + "); its log: " + log);
            }
            reply = reply.substring(REPLY.length());
            if (reply.startsWith("error ")) {
                throw new IllegalStateException("the " + role + " process: " + reply.substring(6) + "; its log: " + log);
            }
            return reply.length() > 3 ? reply.substring(3) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("talking to the " + role + " process; its log: " + log, e);
        }
    }

    private String exitValue() {
        try {
            return process.waitFor(10, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    @Override
    public void close() {
        Lifeline.end(process);
    }

    /** The child: serves requests until its standard input ends. */
    public static void main(String[] args) throws Exception {
        PrintStream replies = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err); // whatever else prints goes to the log, never into the replies
        Map<String, AutoCloseable> services = new HashMap<>();
        Map<String, CaptureService> captures = new HashMap<>();
        Map<String, StreamApplier> appliers = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] w = line.split(" ");
                try {
                    String reply = switch (w[0]) {
                        case "ping" -> "";
                        case "capture" -> {
                            BenchStack.useEngine(CaptureConfig.Engine.valueOf(w[2]));
                            CaptureService c = new CaptureService(BenchStack.capture(w[1], w[3], BenchStack.kafka(w[4]),
                                    Arrays.asList(w[6].split(",")), Path.of(w[5])));
                            c.start();
                            captures.put(w[1], c);
                            services.put(w[1], c);
                            yield "";
                        }
                        case "apply" -> {
                            StreamApplier a = new StreamApplier(ApplierConfig.of(w[1], w[2], w[3], BenchStack.superuser(),
                                    BenchStack.kafka(w[4])));
                            a.start();
                            appliers.put(w[1], a);
                            services.put(w[1], a);
                            yield "";
                        }
                        case "lsn" -> captures.get(w[1]).lastCommittedLsn().toString();
                        case "state" -> captures.containsKey(w[1]) ? captures.get(w[1]).state().name() : appliers.get(w[1]).state().name();
                        case "close" -> {
                            captures.remove(w[1]);
                            appliers.remove(w[1]);
                            services.remove(w[1]).close();
                            yield "";
                        }
                        default -> throw new IllegalArgumentException("unknown request " + w[0]);
                    };
                    replies.println(REPLY + (reply.isEmpty() ? "ok" : "ok " + reply));
                } catch (Exception e) {
                    e.printStackTrace();
                    replies.println(REPLY + "error " + String.valueOf(e).replace('\n', ' '));
                }
            }
        } finally {
            for (AutoCloseable s : services.values()) {
                s.close();
            }
        }
        System.exit(0);
    }
}
