package io.reside.alpha.runtime;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

import io.reside.alpha.service.Records;
import io.reside.security.AccountKey;

/**
 * Where replicas run: child processes ({@link LocalRuntime}) or Kubernetes objects. Driven by the
 * {@link WorkloadReconciler}, which tells it every pass which versions must run; it starts what is missing, stops what
 * is no longer wanted, and reports what it sees. Implementations must be idempotent: a pass may repeat the last.
 */
public interface WorkloadRuntime extends AutoCloseable {

    /** A version that must run, with its instance. */
    record Desired(Records.ReplicaRecord replica, Records.VersionRecord version) {
        public String key() {
            return replica.id() + "/" + version.id();
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
    void saveKey(String accountId, AccountKey key);

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

    /** The versions it runs or stops now, by {@link Desired#key()}. */
    Set<String> known();

    @Override
    void close();
}
