package io.sluice.bench;

import java.nio.file.Path;

/**
 * Sluice as deployed, for the benchmarks that run it end to end: capture in one process and the
 * applier in another ({@link ServiceProcess}), both kept up across a scenario's runs, with the
 * CPU they use read from outside.
 */
public record SluiceProcesses(ServiceProcess capture, ServiceProcess applier) implements AutoCloseable {

    public static SluiceProcesses start(Path dir) {
        ServiceProcess capture = ServiceProcess.start("capture", dir);
        try {
            return new SluiceProcesses(capture, ServiceProcess.start("applier", dir));
        } catch (RuntimeException e) {
            capture.close();
            throw e;
        }
    }

    /** Core-seconds each process has used so far, and of them its JIT compiler's. */
    Usage usage() {
        return new Usage(Cpu.processSeconds(capture.pid()), Cpu.processSeconds(applier.pid()),
                Cpu.compilerSeconds(capture.pid()), Cpu.compilerSeconds(applier.pid()));
    }

    record Usage(double capture, double applier, double captureJit, double applierJit) {
        double total() {
            return capture + applier;
        }

        Usage since(Usage start) {
            return new Usage(capture - start.capture, applier - start.applier, captureJit - start.captureJit,
                    applierJit - start.applierJit);
        }
    }

    @Override
    public void close() {
        try {
            applier.close();
        } finally {
            capture.close();
        }
    }
}
