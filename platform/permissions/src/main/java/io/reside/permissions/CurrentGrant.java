package io.reside.permissions;

import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;

/**
 * A grant as the replica applied it, at {@code grants-current/<replicaId>/<url-encoded grant key>}; only the replica
 * writes it.
 *
 * @param granted whether the grant is in force (its {@code onGranted} or {@code onUpdated} hook succeeded, and no
 *        {@code onRevoked} since)
 * @param params the params applied
 * @param appliedAt when the last successful hook ran
 * @param error the last hook failure, cleared by the next success; null when none
 * @param failedAt when that failure happened
 */
public record CurrentGrant(
        String key,
        String grantee,
        String contract,
        String permission,
        String instanceId,
        boolean granted,
        ObjectNode params,
        Instant appliedAt,
        String error,
        Instant failedAt) {

    public static final DocType<CurrentGrant> TYPE = DocType.of("current-grant", CurrentGrant.class);
}
