package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark harness at tiny scale: the output's shape, and every follower equal in every run. */
class BenchHarnessIT {

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void catchupAtTinyScaleReportsRatiosAndEqualFollowers(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("catchup.json");
        String out = bench("catchup", "--scale", "tiny", "--no-warmup", "--out", json.toString());
        assertThat(out).contains("| measurement | min | median | max |", "| apply_vs_native |", "| e2e_vs_native |",
                "every follower equalled the primary in every run");
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertThat(r.path("scenario").asText()).isEqualTo("catchup");
        assertThat(r.path("valid").asBoolean()).isTrue();
        assertThat(r.path("machine").path("cores").asInt()).isPositive();
        assertThat(r.path("runs")).hasSize(1);
        JsonNode run = r.path("runs").get(0);
        assertThat(run.path("equal").asBoolean()).as("the followers equalled the primary").isTrue();
        assertThat(run.path("row_events").asLong()).isEqualTo(4L * 2000 + 2L * 500 + 1);
        for (String k : new String[] {"sluice_apply_seconds", "native_seconds", "sluice_e2e_seconds", "apply_vs_native", "e2e_vs_native",
                "e2e_cpu_capture_process_seconds", "e2e_cpu_applier_process_seconds"}) {
            assertThat(run.path(k).asDouble()).as(k).isPositive();
            assertThat(r.path("summary").path(k).path("median").asDouble()).as("summary of " + k).isEqualTo(run.path(k).asDouble());
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void steadyRunsBrokerCaptureAndApplierInProcessesOfTheirOwnAndReportsTheirCpu(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("steady.json");
        bench("steady", "--rates", "200", "--seconds", "1", "--no-warmup", "--settle-seconds", "0", "--out", json.toString());
        JsonNode run = new ObjectMapper().readTree(json.toFile()).path("rate_200").path("runs").get(0);
        assertThat(run.path("equal").asBoolean()).as("the followers equalled the primary").isTrue();
        assertThat(run.path("kafka_broker_cpu_cores").asDouble()).as("the broker process worked").isPositive();
        assertThat(run.path("sluice_cpu_cores").asDouble()).as("capture's and the applier's processes worked").isPositive();
        assertThat(run.path("sluice_latency_p50_ms").asDouble()).isPositive();
        assertThat(ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("").matches(".*(KafkaProcess|ServiceProcess).*")))
                .as("the broker's, capture's and the applier's processes ended with the scenario").isEmpty();
    }

    /** Runs {@code sluice bench ARGS}, asserts it exited 0 and returns what it printed. */
    private static String bench(String... args) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "bench";
            System.arraycopy(args, 0, all, 1, args.length);
            code = Main.commandLine().execute(all);
        } finally {
            System.setOut(old);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(out);
        assertThat(code).as(out).isZero();
        return out;
    }
}
