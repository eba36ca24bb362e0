package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaGuardTest {

    @Test
    void expressionsAsTheCatalogPrintsThemPass() {
        for (String e : List.of("(price * (qty)::numeric)", "('#'::text || (id)::text)", "(VALUE > 0)",
                "(length(VALUE) < 200)", "(E'a\\\\''b)'::text || \"odd \"\" name)\")", "('(;--/*$'::text)",
                "((VALUE).value >= (0)::numeric)")) {
            assertThat(SchemaGuard.expressionRefusal("x", e)).as(e).isNull();
        }
    }

    @Test
    void anExpressionThatCouldLeaveItsParenthesesIsRefusedSayingWhy() {
        assertThat(SchemaGuard.expressionRefusal("x", "1); DROP TABLE t; --")).contains("closes a parenthesis it did not open");
        assertThat(SchemaGuard.expressionRefusal("x", "1) STORED, ADD COLUMN evil int DEFAULT (1"))
                .contains("closes a parenthesis it did not open");
        assertThat(SchemaGuard.expressionRefusal("x", "1; SELECT 2")).contains("';' outside its literals");
        assertThat(SchemaGuard.expressionRefusal("x", "$$a$$")).contains("'$' outside its literals");
        assertThat(SchemaGuard.expressionRefusal("x", "1 -- c")).contains("'-' outside its literals");
        assertThat(SchemaGuard.expressionRefusal("x", "1 /* c */")).contains("'/' outside its literals");
        assertThat(SchemaGuard.expressionRefusal("x", "(1")).contains("leaves a parenthesis open");
        assertThat(SchemaGuard.expressionRefusal("x", "'open")).contains("unclosed quote");
        assertThat(SchemaGuard.expressionRefusal("x", "E'\\'")).contains("unclosed quote");
    }
}
