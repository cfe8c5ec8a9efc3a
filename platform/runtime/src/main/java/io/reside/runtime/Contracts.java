package io.reside.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.reside.model.annotation.Contract;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifests;
import io.reside.model.manifest.ReplicaManifest;

/**
 * The manifests of the contracts on the class path, generated at build time into each contract's jar. The identity
 * (with the prefix the contract was built with) comes from there, not from the annotation.
 */
public final class Contracts {

    private static final Map<String, ContractManifest> BY_KEY = new ConcurrentHashMap<>();
    private static volatile Optional<ReplicaManifest> replica;

    private Contracts() {
    }

    /** The manifest of the contract with key {@code <name>.v<N>}. */
    public static ContractManifest byKey(String key) {
        return BY_KEY.computeIfAbsent(key, Contracts::load);
    }

    /** The manifest of a contract interface (annotated {@link Contract}). */
    public static ContractManifest of(Class<?> contractInterface) {
        Contract c = contractInterface.getAnnotation(Contract.class);
        if (c == null) {
            throw new IllegalArgumentException(contractInterface.getName() + " is not a contract (no @Contract)");
        }
        return byKey(c.name() + ".v" + c.version());
    }

    /** The manifest of this application's replica ({@code META-INF/reside/manifest.json}), when it declares one. */
    public static Optional<ReplicaManifest> replica() {
        Optional<ReplicaManifest> r = replica;
        if (r == null) {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            try (InputStream in = loader.getResourceAsStream(Manifests.REPLICA_RESOURCE)) {
                r = in == null ? Optional.empty()
                        : Optional.of(Manifests.parse(new String(in.readAllBytes(),
                                StandardCharsets.UTF_8), ReplicaManifest.class, Manifests.REPLICA_RESOURCE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + Manifests.REPLICA_RESOURCE, e);
            }
            replica = r;
        }
        return r;
    }

    private static ContractManifest load(String key) {
        String resource = Manifests.contractResource(key);
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no manifest of contract " + key + " on the class path (" + resource
                        + "): is the contract module built with reside-manifest-processor?");
            }
            return Manifests.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), ContractManifest.class,
                    resource);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
