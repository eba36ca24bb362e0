package io.sluice.cli.config;

import java.util.HashMap;
import java.util.Map;

/**
 * Where the Kafka cluster is: {@code embedded} (a broker in this JVM) or bootstrap servers, with
 * client settings (security.protocol, SASL, SSL) passed through to every Kafka client.
 */
public record KafkaEndpoint(boolean embedded, String bootstrapServers, Map<String, String> clientOptions,
                            Map<String, Secret> secretOptions) {

    public KafkaEndpoint {
        clientOptions = Map.copyOf(clientOptions);
        secretOptions = Map.copyOf(secretOptions);
    }

    /** Client properties, secrets revealed, for a producer, consumer or admin client. */
    public Map<String, Object> clientProperties(String bootstrap) {
        Map<String, Object> p = new HashMap<>(clientOptions);
        secretOptions.forEach((k, v) -> p.put(k, v.reveal()));
        p.put("bootstrap.servers", bootstrap);
        return p;
    }
}
