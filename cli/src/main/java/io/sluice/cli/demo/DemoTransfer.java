package io.sluice.cli.demo;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Random;

/**
 * One transfer of the demo workload: an amount moved from one of the 100 accounts to another (the
 * total never changes); the caller logs it and commits.
 */
record DemoTransfer(int from, int to, BigDecimal amount) {

    static DemoTransfer next(Random random) {
        return new DemoTransfer(1 + random.nextInt(100), 1 + random.nextInt(100), BigDecimal.valueOf(1 + random.nextInt(5000), 2));
    }

    /** Runs the debit ({@code UPDATE accounts SET balance = balance - ? WHERE id = ?}) and the matching credit. */
    void move(PreparedStatement debit, PreparedStatement credit) throws SQLException {
        debit.setBigDecimal(1, amount);
        debit.setInt(2, from);
        debit.executeUpdate();
        credit.setBigDecimal(1, amount);
        credit.setInt(2, to);
        credit.executeUpdate();
    }
}
