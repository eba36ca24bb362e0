package io.sluice.e2e;

import io.sluice.applier.ApplierConfig;
import io.sluice.applier.StreamApplier;
import java.nio.file.Path;
import java.util.Map;

/**
 * An applier in a process of its own, so a test can SIGKILL it (args: source follower url bootstrap maxGroupTx
 * [kind]; kind as {@code ApplierConfig.Kind}, PostgreSQL by default).
 */
public final class ApplierProcess {

    private ApplierProcess() {
    }

    public static void main(String[] args) throws Exception {
        ApplierConfig cfg = ApplierConfig.of(args[0], args[1], args[2], Stack.superuser(), Map.of("bootstrap.servers", args[3]))
                .withGroupLimits(Integer.parseInt(args[4]), ApplierConfig.DEFAULT_MAX_GROUP_EVENTS)
                .withKind(args.length > 5 ? ApplierConfig.Kind.valueOf(args[5]) : ApplierConfig.Kind.POSTGRESQL);
        StreamApplier applier = new StreamApplier(cfg);
        applier.start();
        System.out.println("READY");
        System.out.flush();
        while (applier.state() == StreamApplier.State.RUNNING) {
            Thread.sleep(200);
        }
        System.out.println("applier ended: " + applier.state() + " " + applier.failure().map(Throwable::toString).orElse(""));
        System.exit(3);
    }

    static Process spawn(String source, String follower, String url, String bootstrap, int maxGroup, Path log) throws Exception {
        return spawn(source, follower, url, bootstrap, maxGroup, ApplierConfig.Kind.POSTGRESQL, log);
    }

    static Process spawn(String source, String follower, String url, String bootstrap, int maxGroup, ApplierConfig.Kind kind,
                         Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), ApplierProcess.class.getName(),
                source, follower, url, bootstrap, String.valueOf(maxGroup), kind.name()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }
}
