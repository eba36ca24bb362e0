package io.sluice.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module direction, checked on the compiled classes of every module: capture, applier and
 * lag-monitor depend on log-format, never on each other; log-format depends on no driver; verify
 * and bench are libraries the CLI uses, never the other way. A rule
 * whose package holds no class fails (ArchUnit's {@code failOnEmptyShould}), so a package renamed or
 * moved away is noticed instead of leaving its rule guarding nothing.
 */
class ArchitectureTest {

    private static final String FIX = "Fix: capture, applier and lag-monitor may import only io.sluice.format"
            + " (log-format) and their own libraries. Move a type two of them need into log-format,"
            + " or pass it in from the CLI, which wires the modules together.";

    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.sluice");
    }

    @Test
    void logFormatDependsOnNoDriverOrModule() {
        ArchRule rule = noClasses().that().resideInAPackage("io.sluice.format..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.debezium..",
                        "org.postgresql..", "org.duckdb..", "io.sluice.capture..", "io.sluice.applier..", "io.sluice.monitor..",
                        "io.sluice.embedded..", "io.sluice.cli..", "io.sluice.client..", "io.sluice.verify..", "io.sluice.bench..")
                .because("log-format is the wire contract and depends on a JSON library only. " + FIX);
        rule.check(classes);
    }

    @Test
    void onlyTheFollowerContractSpeaksJdbc() {
        noClasses().that().resideInAPackage("io.sluice.format..").and().resideOutsideOfPackage("io.sluice.format.follower..")
                .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..")
                .because("the event format is bytes and JSON; only the follower contract (bookkeeping tables a follower"
                        + " holds) reads a follower, through the JDK's JDBC API. " + FIX)
                .check(classes);
    }

    @Test
    void verifierAndBenchmarksAreLibrariesTheCliUses() {
        notOn("io.sluice.verify..", "io.sluice.cli..", "io.sluice.bench..", "io.sluice.capture..", "io.sluice.monitor..");
        notOn("io.sluice.bench..", "io.sluice.cli..");
    }

    @Test
    void captureDependsOnNoOtherModule() {
        notOn("io.sluice.capture..", "io.sluice.applier..", "io.sluice.monitor..", "io.sluice.cli..", "io.sluice.verify..", "io.sluice.bench..");
    }

    @Test
    void applierDependsOnNoOtherModule() {
        notOn("io.sluice.applier..", "io.sluice.capture..", "io.sluice.monitor..", "io.sluice.cli..", "io.sluice.verify..", "io.sluice.bench..");
    }

    @Test
    void monitorDependsOnNoOtherModule() {
        notOn("io.sluice.monitor..", "io.sluice.capture..", "io.sluice.applier..", "io.sluice.cli..", "io.sluice.verify..", "io.sluice.bench..");
    }

    @Test
    void clientDependsOnLogFormatAndJdbcOnly() {
        noClasses().that().resideInAPackage("io.sluice.client..")
                .should().dependOnClassesThat().resideInAnyPackage("io.sluice.capture..", "io.sluice.applier..",
                        "io.sluice.monitor..", "io.sluice.cli..", "io.sluice.embedded..", "org.apache.kafka..")
                .because("applications embed the client: log-format, JDBC and slf4j only. " + FIX)
                .check(classes);
    }

    @Test
    void onlyCaptureTouchesDebezium() {
        noClasses().that().resideOutsideOfPackage("io.sluice.capture..")
                .should().dependOnClassesThat().resideInAPackage("io.debezium..")
                .because("Debezium types never leave capture's adapter. " + FIX)
                .check(classes);
    }

    private static void notOn(String module, String... others) {
        noClasses().that().resideInAPackage(module)
                .should().dependOnClassesThat().resideInAnyPackage(others)
                .because(FIX)
                .check(classes);
    }
}
