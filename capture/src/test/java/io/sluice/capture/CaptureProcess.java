package io.sluice.capture;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Capture in a process of its own, so a test can kill it with SIGKILL (args: url bootstrap source state tables). */
public final class CaptureProcess {

    private CaptureProcess() {
    }

    public static void main(String[] args) throws Exception {
        Properties conn = new Properties();
        conn.setProperty("user", "postgres");
        CaptureConfig config = new CaptureConfig(args[2], args[0], conn, Map.of("bootstrap.servers", args[1]),
                "slot_" + args[2], "pub_" + args[2], List.of(args[4].split(",")), Duration.ofMillis(500),
                Duration.ofMillis(10), args.length > 5 && args[5].equals("snapshot"), Path.of(args[3]), Map.of());
        CaptureService capture = new CaptureService(config);
        capture.start();
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Starts the process; it inherits this JVM's class path. */
    static Process spawn(String url, String bootstrap, String source, Path state, String tables, Path log) throws Exception {
        return spawn(url, bootstrap, source, state, tables, false, log);
    }

    /** {@code snapshot}: the capture snapshots the tables first when its stream holds nothing yet. */
    static Process spawn(String url, String bootstrap, String source, Path state, String tables, boolean snapshot, Path log)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                CaptureProcess.class.getName(), url, bootstrap, source, state.toString(), tables, snapshot ? "snapshot" : "stream")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
