package io.sluice.applier.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.internal.RowWriter.RowException;
import java.io.IOException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failures name the row being written: the rule every way of writing rows shares. */
class RowExceptionTest {

    @Test
    void aFailureOfTheRowNamesItAndKeepsItsKind() {
        SQLException refused = new SQLException("duplicate key value violates unique constraint", "23505");

        SQLException thrown = RowException.naming(() -> "insert into public.t key {id=7}", refused);

        assertThat((Throwable) thrown).isInstanceOf(RowException.class).hasCause(refused)
                .hasMessageContaining("duplicate key").hasMessageContaining("public.t key {id=7}");
        assertThat(thrown.getSQLState()).isEqualTo("23505");
        assertThat(FailureKind.of(thrown)).isEqualTo(FailureKind.ORDER);
    }

    @Test
    void aFailureThatIsNotTheRowsIsThrownAsItCame() {
        for (String state : new String[] {"08006", "40001", "40P01", "53100", "57P01"}) {
            SQLException lost = new SQLException("gone", state);
            assertThat((Throwable) RowException.naming(() -> "a row", lost)).as(state).isSameAs(lost);
        }
        // A driver's I/O failure without a SQLSTATE: wrapped, it would read as the row's and stop the applier.
        SQLException io = new SQLException("An I/O error occurred", null, new IOException("Connection reset"));
        SQLException thrown = RowException.naming(() -> "a row", io);
        assertThat((Throwable) thrown).isSameAs(io);
        assertThat(FailureKind.of(thrown)).isEqualTo(FailureKind.RETRY);
    }

    @Test
    void theRowIsDescribedOnlyWhenItIsNamed() {
        SQLException lost = new SQLException("gone", "08006");
        RowException.naming(() -> {
            throw new AssertionError("a row described for a failure that is not its");
        }, lost);
    }
}
