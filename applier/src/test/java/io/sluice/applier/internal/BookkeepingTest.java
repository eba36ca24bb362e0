package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BookkeepingTest {

    /** A migration added without moving the constant would let a follower that lacks it start as current. */
    @Test
    void theLatestMigrationIsTheHighestScriptShipped() throws URISyntaxException, java.io.IOException {
        Path dir = Path.of(Bookkeeping.class.getClassLoader().getResource("db/migration/sluice").toURI());
        Pattern script = Pattern.compile("V(\\d+)__.*\\.sql");
        int highest;
        try (Stream<Path> files = Files.list(dir)) {
            highest = files.map(f -> script.matcher(f.getFileName().toString())).filter(Matcher::matches)
                    .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElseThrow();
        }
        assertThat(Bookkeeping.LATEST_MIGRATION).isEqualTo(highest);
    }
}
