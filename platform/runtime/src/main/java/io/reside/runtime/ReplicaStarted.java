package io.reside.runtime;

/**
 * Fired once the replica serves RPC (the last step of start-up): observe it ({@code @Observes ReplicaStarted}) to
 * run the replica's own initialisation.
 *
 * @param accountId this replica's account
 * @param replicaId its RCB id
 */
public record ReplicaStarted(String accountId, String replicaId) {
}
