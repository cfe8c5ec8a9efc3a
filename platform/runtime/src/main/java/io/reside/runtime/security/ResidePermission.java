package io.reside.runtime.security;

import java.security.Permission;
import java.util.Objects;

/**
 * A permission of a contract, as Quarkus Security checks it: the permission checker that
 * {@link GrantsAugmentor} adds to every authenticated identity decides it from the replica's applied grants.
 * (Quarkus's {@code @PermissionsAllowed} cannot carry ReSide names: it refuses values with more than one ':', and
 * ours are {@code resource:action:scope}.)
 *
 * @param instanceId the instance, or null for a single-instance permission
 */
public final class ResidePermission extends Permission {

    private static final long serialVersionUID = 1L;

    private final String contract;
    private final String permission;
    private final String instanceId;

    public ResidePermission(String contract, String permission, String instanceId) {
        super(contract + "/" + permission + (instanceId == null ? "" : "/" + instanceId));
        this.contract = Objects.requireNonNull(contract, "contract");
        this.permission = Objects.requireNonNull(permission, "permission");
        this.instanceId = instanceId;
    }

    public String contract() {
        return contract;
    }

    public String permission() {
        return permission;
    }

    public String instanceId() {
        return instanceId;
    }

    @Override
    public boolean implies(Permission other) {
        return equals(other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResidePermission p && p.contract.equals(contract) && p.permission.equals(permission)
                && Objects.equals(p.instanceId, instanceId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(contract, permission, instanceId);
    }

    @Override
    public String getActions() {
        return "";
    }
}
