package io.sluice.format;

import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka consumer settings of a read that stops at an end offset it knows (a stream's tail, the
 * epochs topic, the refused frames after a marker, change topics): every module that reads a topic
 * that way starts from these, so none waits on the broker at the end.
 */
public final class BoundedReads {

    private BoundedReads() {
    }

    /**
     * {@code kafka} without a consumer group or offset commits, named {@code clientId} unless it
     * names a client itself; fetches held at most 10 ms: closing such a consumer waits for a last
     * fetch that the broker, with nothing left to send, holds {@code fetch.max.wait.ms} (500 ms by
     * default) — on every start of a capture whose stream held anything (docs/benchmarks.md, session 20).
     */
    public static Map<String, Object> consumer(Map<String, Object> kafka, String clientId) {
        Map<String, Object> p = new HashMap<>(kafka);
        p.remove("group.id");
        p.put("enable.auto.commit", "false");
        p.putIfAbsent("client.id", clientId);
        p.put("fetch.max.wait.ms", "10");
        return p;
    }
}
