package io.reside.alpha.runtime;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.reside.alpha.config.AlphaConfig;
import io.reside.images.RegistryClient;
import io.reside.runtime.ResideConfig;

/** The registry client and the runtime chosen by {@code alpha.runtime}. */
public class Runtimes {

    @Produces
    @ApplicationScoped
    RegistryClient registry(AlphaConfig config) {
        AlphaConfig.Registry r = config.registry();
        try {
            return new RegistryClient(RegistryClient.Options.DEFAULT.withInsecure(r.insecure().orElse(Set.of()))
                    .withMirrors(RegistryClient.Options.parseMirrors(r.mirror().orElse(java.util.List.of())))
                    .withTimeout(r.timeout()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("alpha.registry.mirror: " + e.getMessage(), e);
        }
    }

    @Produces
    @ApplicationScoped
    WorkloadRuntime runtime(AlphaConfig config, ResideConfig reside, RegistryClient registry,
            Instance<KubernetesClient> kubernetes) {
        return switch (config.runtime()) {
            case LOCAL -> new LocalRuntime(config.local(), reside, registry, config.tls(), config.telemetry()
                    .otlpEndpoint());
            // the client is made only here: the local runtime never reads a kubeconfig
            case KUBERNETES -> new KubernetesRuntime(kubernetes.get(), config, reside.cluster(),
                    reside.etcd().endpoints().stream().map(java.net.URI::toString).toList());
        };
    }
}
