package io.reside.alpha.runtime;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.reside.alpha.service.Records;
import io.reside.security.AccountKey;

/**
 * Where replicas run: child processes ({@link LocalRuntime}) or Kubernetes objects. Driven by the
 * {@link WorkloadReconciler}, which tells it every pass which versions must run; it starts what is missing, stops what
 * is no longer wanted, and reports what it sees. Implementations must be idempotent: a pass may repeat the last.
 */
public interface WorkloadRuntime extends AutoCloseable {

    /**
     * A version that must run, with its instance.
     *
     * @param serves whether the replica implements at least one contract method (it then gets a Service and an
     *        Ingress path on Kubernetes)
     * @param etcd the etcd user this version runs as ({@link EtcdUsers}); null when etcd has no auth
     */
    record Desired(Records.ReplicaRecord replica, Records.VersionRecord version, boolean serves,
            io.reside.etcd.StoreConfig.Credentials etcd) {

        /** Without etcd credentials: etcd runs without auth (Alpha does not connect as root). */
        public Desired(Records.ReplicaRecord replica, Records.VersionRecord version, boolean serves) {
            this(replica, version, serves, null);
        }

        /** The same version running as {@code etcd}'s user. */
        public Desired withEtcd(io.reside.etcd.StoreConfig.Credentials etcd) {
            return new Desired(replica, version, serves, etcd);
        }

        public String key() {
            return key(replica.id(), version.id());
        }

        public static String key(String replicaId, int versionId) {
            return replicaId + "/" + versionId;
        }
    }

    /**
     * What the runtime sees of a version: {@code status} is starting, running, degraded, completed, stopping,
     * stopped or error.
     *
     * @param endpoints access context → base URL where it serves, once it does
     */
    record Observed(String status, String message, Map<String, String> endpoints) {
    }

    /**
     * Stores a new instance's private key where its workload will read it. Called before the approval that creates
     * the account commits, so the key cannot be lost; a key whose account never came to be is removed later
     * ({@link #deleteKey}).
     */
    void saveKey(String replicaName, String accountId, AccountKey key);

    void deleteKey(String accountId);

    /** The accounts whose keys are stored, with how long ago each was saved (ms). */
    Map<String, Long> storedKeys();

    /**
     * Makes the running workloads exactly {@code desired}: starts the missing ones, stops the others.
     *
     * @return what it sees of every version it knows (the desired ones, and those still stopping), by
     *         {@link Desired#key()}
     */
    Map<String, Observed> reconcile(Collection<Desired> desired);

    /**
     * The versions it runs or stops now, by {@link Desired#key()}.
     *
     * @throws RuntimeUnavailableException when it cannot tell (the Kubernetes API not read yet)
     */
    Set<String> known();

    /** Tells {@code nudge} whenever something it watches changes (a process exits, an object is edited). */
    default void onChange(Runnable nudge) {
    }

    /**
     * Why this runtime cannot run a new version of Alpha itself (SPEC 6.1: Alpha updates itself through a load
     * request), in words for the load request; empty when it can.
     */
    default Optional<String> selfUpdateRefusal() {
        return Optional.empty();
    }

    /**
     * Makes Alpha's own workload run {@code current}'s image, and reports what it sees of each of Alpha's
     * {@code versions}, by {@link Desired#key()}. Called only once a version of Alpha was loaded through a load
     * request; idempotent, like {@link #reconcile}.
     *
     * @throws RuntimeUnavailableException when it cannot tell now
     */
    default Map<String, Observed> reconcileSelf(Records.VersionRecord current,
            Collection<Records.VersionRecord> versions) {
        return Map.of();
    }

    /** The one-time super-admin claim code, where the operator reads it: empty when there is none. */
    Optional<String> readClaimCode();

    /** Stores the claim code where the operator reads it (replacing an older one), before the cluster records it. */
    void writeClaimCode(String code);

    /** Removes the claim code once it was used. */
    void deleteClaimCode();

    /** Where the operator finds the claim code, in words. */
    String claimCodeLocation();

    /**
     * Where replicas reach Alpha itself (access context → base URL) when it listens on {@code port}: Alpha is wired
     * to the replicas that require alpha.v1 (the User Manager, the secretaries) like any implementor.
     */
    Map<String, String> selfEndpoints(int port);

    @Override
    void close();

    /**
     * The tracing settings a replica's process gets (Quarkus properties as environment variables): off without an
     * OTLP endpoint.
     */
    static java.util.Map<String, String> telemetryEnv(java.util.Optional<String> otlpEndpoint, String replicaName,
            String replicaId) {
        if (otlpEndpoint.isEmpty()) {
            return java.util.Map.of();
        }
        return java.util.Map.of("QUARKUS_OTEL_SDK_DISABLED", "false",
                "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlpEndpoint.get(),
                "QUARKUS_OTEL_RESOURCE_ATTRIBUTES",
                "reside.replica=" + replicaName + ",reside.replica-id=" + replicaId);
    }

    /**
     * How a replica's process is told to serve RPC over TLS only (Quarkus properties as environment variables): its
     * port, its certificate and key, and the cluster CA its own calls trust. One definition for both runtimes.
     */
    static java.util.Map<String, String> tlsEnv(int port, String certificateFile, String keyFile, String caFile) {
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("QUARKUS_HTTP_SSL_PORT", Integer.toString(port));
        env.put("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
        env.put("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", certificateFile);
        env.put("QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", keyFile);
        env.put("RESIDE_RPC_TLS_CA_FILE", caFile);
        return env;
    }

    /**
     * How a replica's process learns its etcd user: the name, and the file (from its Secret) holding the password.
     * Nothing when etcd runs without auth.
     */
    static java.util.Map<String, String> etcdEnv(io.reside.etcd.StoreConfig.Credentials etcd, String passwordFile) {
        if (etcd == null) {
            return java.util.Map.of();
        }
        return java.util.Map.of("RESIDE_ETCD_USERNAME", etcd.username(), "RESIDE_ETCD_PASSWORD_FILE", passwordFile);
    }

    /**
     * JSON logs naming the replica (docs/operations.md, "Logs"). The additional field's property name is the
     * variable's name: its map key stays as it is.
     */
    static java.util.Map<String, String> jsonLogEnv(String replicaName) {
        java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true");
        env.put("quarkus.log.console.json.additional-field.replica.value", replicaName);
        return env;
    }

    /** The runtime cannot act now (its view of the workloads is incomplete); the next pass tries again. */
    final class RuntimeUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public RuntimeUnavailableException(String message) {
            super(message);
        }
    }
}
