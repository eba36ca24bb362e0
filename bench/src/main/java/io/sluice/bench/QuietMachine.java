package io.sluice.bench;

import io.sluice.embedded.LocalPostgres;
import io.sluice.embedded.Await;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Each timed phase starts on a quiet machine: on two cores, work an earlier phase left behind —
 * a follower checkpointing and vacuuming what it loaded, the JIT compiling what an earlier phase
 * made hot — would otherwise run inside the next phase's time, whichever way that phase is.
 */
final class QuietMachine {

    private static final long SETTLED_MILLIS = 500;

    private QuietMachine() {
    }

    /**
     * Waits for both: {@link #servers} and {@link #compiler} (at most 30 s for the compilers), this
     * JVM's and those of the JVMs {@code jvms} (Sluice's processes).
     */
    static void await(List<LocalPostgres> servers, long... jvms) throws Exception {
        servers(servers);
        compiler(Duration.ofSeconds(30), jvms);
    }

    /** Checkpoints every server, then waits until none runs an autovacuum worker. */
    private static void servers(List<LocalPostgres> servers) throws Exception {
        for (LocalPostgres pg : servers) {
            pg.execute("CHECKPOINT");
        }
        Await.until(Duration.ofMinutes(2), () -> "autovacuum to finish on every server", () -> {
            for (LocalPostgres pg : servers) {
                if (!"0".equals(pg.queryScalar("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"))) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Waits, at most {@code max}, until no JIT — this JVM's, nor the compiler threads of the JVMs
     * {@code jvms} — has compiled anything for half a second (their queues from earlier phases
     * drained); a JIT that never settles only costs the wait.
     */
    private static void compiler(Duration max, long... jvms) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean own = jit != null && jit.isCompilationTimeMonitoringSupported();
        LongSupplier activity = () -> {
            double sum = own ? jit.getTotalCompilationTime() : 0;
            for (long pid : jvms) {
                sum += Cpu.compilerSeconds(pid) * 1000;
            }
            return (long) sum;
        };
        long deadline = System.nanoTime() + max.toNanos();
        long last = activity.getAsLong();
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(50);
            long now = activity.getAsLong();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince >= SETTLED_MILLIS * 1_000_000) {
                return;
            }
        }
    }
}
