package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {

    @Test
    void shouldListAllThreeMistakesAndExitTwo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, String.join("\n",
                "source.id=shop",
                "kafka.bootstrap.servers=not a host",
                "followers.east.mode=eventually",
                "monitor.http.prot=9000",
                ""));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.commandLine().execute("validate", file.toString());
        } finally {
            System.setErr(old);
        }
        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(code).isEqualTo(2);
        assertThat(out).contains("3 configuration problems in " + file)
                .contains("kafka.bootstrap.servers=not a host: expected 'embedded' or host:port")
                .contains("followers.east.mode=eventually: expected one of [sync, async]")
                .contains("monitor.http.prot=9000: unknown key");
    }

    @Test
    void shouldAcceptAValidFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ok.properties");
        Files.writeString(file, "source.id=shop\nfollowers.east.mode=sync\n");
        assertThat(Main.commandLine().execute("validate", file.toString())).isZero();
    }
}
