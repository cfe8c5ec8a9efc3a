package io.reside.permissions;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One of an account's grants in a replica, as {@link RcbView#grantsOf} reports it.
 *
 * @param error the last hook failure, if the replica could not apply the change yet
 * @param grantee whom it was given to: the account itself, or a group it belongs to ({@code realm:<name>},
 *        {@link GrantKeys#ALL_USERS})
 */
public record GrantStatus(String contract, String permission, String instanceId, ObjectNode params, State state,
        String error, String grantee) {

    public enum State {
        /** Granted and applied: checks pass. */
        CURRENT,
        /** Granted, applied with older params; the update is being applied (checks pass). */
        UPDATING,
        /** Granted but not applied yet (or its hook failed): checks fail. */
        PENDING,
        /** Revoked; the replica is still undoing it (checks fail). */
        REVOKING,
        /** Revoked and undone. */
        REVOKED
    }
}
