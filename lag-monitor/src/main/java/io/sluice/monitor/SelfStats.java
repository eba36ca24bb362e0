package io.sluice.monitor;

import java.util.Map;

/** Counters about the monitor itself, for {@code /metrics} and the overhead benchmark. */
public record SelfStats(long evaluations, long primaryQueries, long followerQueries, long kafkaRequests,
                        double lastEvaluationSeconds, long webhookSent, long webhookFailed, long webhookDropped,
                        Map<String, Long> alerts) { }
