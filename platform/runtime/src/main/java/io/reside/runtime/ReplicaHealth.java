package io.reside.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/** {@code /q/health/ready}: up once serving, down while etcd does not answer. {@code /q/health/live}: loops run. */
public class ReplicaHealth {

    @ApplicationScoped
    @Readiness
    public static class Ready implements HealthCheck {
        @Inject
        ReplicaRuntime runtime;

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("reside").status(runtime.isReady())
                    .withData("etcd", runtime.isEtcdReachable() ? "reachable" : "unreachable").build();
        }
    }

    @ApplicationScoped
    @Liveness
    public static class Live implements HealthCheck {
        @Inject
        ReplicaRuntime runtime;

        @Override
        public HealthCheckResponse call() {
            return HealthCheckResponse.named("reside").status(runtime.isLive()).build();
        }
    }
}
