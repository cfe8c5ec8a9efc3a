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
 * ({@code ok}, the error code, {@code timeout} or {@code circuit-open}). Timers are kept once created: looking one up
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
        return timers.computeIfAbsent(List.of(SERVER_CALLS, contract, method, outcome), k -> registry.timer(
                SERVER_CALLS, "contract", contract, "method", method, "outcome", outcome));
    }

    public Timer clientCalls(String requirement, String method, String outcome) {
        return timers.computeIfAbsent(List.of(CLIENT_CALLS, requirement, method, outcome), k -> registry.timer(
                CLIENT_CALLS, "requirement", requirement, "method", method, "outcome", outcome));
    }
}
