package io.sluice.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Followers' staleness from the lag monitor's {@code GET /status} (fetched at most once a
 * second): the monitor's staleness is the age of the oldest commit a follower does not show, 0
 * when caught up.
 */
public final class MonitorStaleness implements StalenessSource {

    private static final JsonFactory JSON = new JsonFactory();

    private final URI status;
    private final Optional<String> token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Map<String, Double> latest = Map.of();
    private long fetchedAt;

    /** {@code baseUrl} like {@code http://127.0.0.1:9464}; {@code bearerToken} if the monitor requires one. */
    public MonitorStaleness(String baseUrl, Optional<String> bearerToken) {
        this.status = URI.create(baseUrl.replaceAll("/+$", "") + "/status");
        this.token = bearerToken;
    }

    @Override
    public synchronized OptionalDouble stalenessSeconds(String follower) {
        if (System.nanoTime() - fetchedAt > 1_000_000_000L) {
            fetchedAt = System.nanoTime();
            try {
                latest = fetch();
            } catch (IOException e) {
                latest = Map.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                latest = Map.of();
            }
        }
        Double s = latest.get(follower);
        return s == null ? OptionalDouble.empty() : OptionalDouble.of(s);
    }

    private Map<String, Double> fetch() throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(2)).GET();
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            return Map.of();
        }
        return parse(r.body());
    }

    /** {@code followers[].name} → {@code followers[].staleness_seconds} of a /status document. */
    static Map<String, Double> parse(byte[] body) throws IOException {
        Map<String, Double> out = new HashMap<>();
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return out;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("followers") || p.currentToken() != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String name = null;
                    Double staleness = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.currentName();
                        p.nextToken();
                        if (f.equals("name")) {
                            name = p.getText();
                        } else if (f.equals("staleness_seconds")) {
                            staleness = p.getDoubleValue();
                        } else {
                            p.skipChildren();
                        }
                    }
                    if (name != null && staleness != null) {
                        out.put(name, staleness);
                    }
                }
            }
        }
        return out;
    }
}
