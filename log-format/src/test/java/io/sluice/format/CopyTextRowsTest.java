package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyTextRowsTest {

    private static List<String[]> parse(int columns, String copyText, int chunk) {
        List<String[]> rows = new ArrayList<>();
        CopyTextRows parser = new CopyTextRows(columns, rows::add);
        byte[] bytes = copyText.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            parser.write(bytes, i, Math.min(chunk, bytes.length - i));
        }
        assertThat(parser.rows()).isEqualTo(rows.size());
        return rows;
    }

    @Test
    void nullsEscapesAndMultiByteTextSurviveAnyChunking() {
        String text = "1\t\\N\thé\\tllo\\n\\\\N\n2\t\\\\\t\\101\\x42\\x4\\x\\z\n";
        for (int chunk : new int[] {1, 2, 3, 7, 1024}) {
            List<String[]> rows = parse(3, text, chunk);
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)).containsExactly("1", null, "hé\tllo\n\\N");
            assertThat(rows.get(1)).containsExactly("2", "\\", "AB\u0004xz");
        }
    }

    @Test
    void anEmptyStringIsNotNull() {
        assertThat(parse(2, "\t\\N\n", 5).get(0)).containsExactly("", null);
    }

    @Test
    void aRowWithTheWrongNumberOfFieldsIsRefused() {
        assertThatThrownBy(() -> parse(3, "1\t2\n", 64)).hasMessageContaining("2 fields for 3 columns");
        assertThatThrownBy(() -> parse(1, "1\t2\n", 64)).hasMessageContaining("more than 1 fields");
    }
}
