package io.reside.permissions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;

/**
 * A grant as hooks see it.
 *
 * @param instanceId the instance the grant is for, or null for a single-instance permission
 */
public record Grant(String grantee, String contract, String permission, String instanceId, ObjectNode params) {

    /** The params as the permission's params record. */
    public <T> T params(Class<T> type) {
        try {
            return DocType.mapper().treeToValue(params, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("params of grant " + GrantKeys.grantKey(grantee, contract, permission,
                    instanceId) + " do not fit " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
