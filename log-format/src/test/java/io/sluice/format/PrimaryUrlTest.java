package io.sluice.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class PrimaryUrlTest {

    @Test
    void theHostsOfAMultiHostUrlAreReadInOrder() {
        assertThat(PrimaryUrl.hosts("jdbc:postgresql://pg-a:5432,pg-b:5433/shop?sslmode=require"))
                .containsExactly("pg-a:5432", "pg-b:5433");
        assertThat(PrimaryUrl.hosts("jdbc:postgresql://pg-a/shop")).containsExactly("pg-a");
        assertThat(PrimaryUrl.hosts("jdbc:postgresql://pg-a:5432,pg-b:5433?user=x")).containsExactly("pg-a:5432", "pg-b:5433");
    }

    @Test
    void oneHostOfTheListKeepsTheDatabaseAndParameters() {
        assertThat(PrimaryUrl.withOnlyHost("jdbc:postgresql://pg-a:5432,pg-b:5433/shop?sslmode=require", "pg-b:5433"))
                .isEqualTo("jdbc:postgresql://pg-b:5433/shop?sslmode=require");
    }

    @Test
    void severalHostsReachOnlyThePrimaryUnlessTheUserChoseOtherwise() {
        Properties given = new Properties();
        given.setProperty("user", "capture");
        Properties p = PrimaryUrl.primaryOnly("jdbc:postgresql://pg-a,pg-b/shop", given);
        assertThat(p.getProperty("targetServerType")).isEqualTo("primary");
        assertThat(p.getProperty("user")).isEqualTo("capture");
        assertThat(given.getProperty("targetServerType")).as("the caller's properties are not changed").isNull();
        assertThat(PrimaryUrl.primaryOnly("jdbc:postgresql://pg-a/shop", given).getProperty("targetServerType")).isNull();
        given.setProperty("targetServerType", "preferPrimary");
        assertThat(PrimaryUrl.primaryOnly("jdbc:postgresql://pg-a,pg-b/shop", given).getProperty("targetServerType"))
                .isEqualTo("preferPrimary");
    }
}
