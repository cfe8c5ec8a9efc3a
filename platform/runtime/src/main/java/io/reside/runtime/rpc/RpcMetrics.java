package io.reside.runtime.rpc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The Micrometer timers (count and latency) of RPC calls: {@code reside.rpc.server.calls} for calls served, tagged
 * with {@code contract}, {@code method} and {@code outcome} ({@code ok}, the error code, or {@code cancelled} for a
 * {@code Uni} cancelled by its subscriber), and
 * {@code reside.rpc.client.calls} for calls made, tagged with {@code requirement}, {@code method} and {@code outcome}
 * ({@code ok}, the error code, {@code timeout} or {@code circuit-open}). Served calls publish a histogram (1 ms to
 * 30 s), for latency percentiles across replicas (k8s/grafana). Timers are kept once created: looking one up
 * in the registry on every call costs microseconds.
 */
@ApplicationScoped
public class RpcMetrics {

    public static final String SERVER_CALLS = "reside.rpc.server.calls";
    public static final String CLIENT_CALLS = "reside.rpc.client.calls";

    @Inject
    MeterRegistry registry;

    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();

    public Timer.Sample start() {
        return Timer.start(registry);
    }

    public Timer serverCalls(String contract, String method, String outcome) {
        return timers.computeIfAbsent(List.of(SERVER_CALLS, contract, method, outcome), k -> Timer.builder(
                SERVER_CALLS).tags("contract", contract, "method", method, "outcome", outcome)
                .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofSeconds(30)).register(registry));
    }

    public Timer clientCalls(String requirement, String method, String outcome) {
        return timers.computeIfAbsent(List.of(CLIENT_CALLS, requirement, method, outcome), k -> registry.timer(
                CLIENT_CALLS, "requirement", requirement, "method", method, "outcome", outcome));
    }
}
