package io.sluice.e2e;

import io.sluice.applier.ApplierConfig;
import io.sluice.verify.ChangeTopicVerifier;
import io.sluice.verify.Verifier;
import io.sluice.format.follower.JdbcDataSource;
import io.sluice.embedded.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;

/**
 * The catalog's types through the default engine onto a follower of kind {@code topics}: each
 * table's keyed change topic, read as a {@code read_committed} consumer would, holds exactly the
 * primary's rows, every column as PostgreSQL's own text.
 */
class ChangeTopicsTypeCatalogIT extends TypeCatalogIT {

    @Override
    ApplierConfig follower() {
        return stack.applier(SOURCE, 0).withKind(ApplierConfig.Kind.TOPICS);
    }

    @Override
    void awaitFollowerEqual(String table, Duration timeout) {
        ChangeTopicVerifier verifier = new ChangeTopicVerifier(new JdbcDataSource(stack.primary.jdbcUrl(), Stack.superuser()),
                kafka(), SOURCE, "f0", 0, Duration.ZERO);
        AtomicReference<Verifier.Report> last = new AtomicReference<>();
        Await.until(timeout, () -> "the change topic of " + table + " to hold the primary's rows (last: " + last.get() + ")",
                () -> {
                    last.set(verifier.verify(List.of("public." + table)));
                    return last.get().equal();
                });
    }

    @Override
    int followerTypeTables() throws Exception {
        try (Admin admin = Admin.create(kafka())) {
            return (int) admin.listTopics().names().get().stream()
                    .filter(t -> t.startsWith("sluice." + SOURCE + ".f0.public.tc_")).count();
        }
    }

    private static Map<String, Object> kafka() {
        return Map.of("bootstrap.servers", stack.kafka.bootstrapServers());
    }
}
