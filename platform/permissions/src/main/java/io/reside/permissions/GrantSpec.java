package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.util.List;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One permission to grant, as {@link RcbAdmin#syncGrants} receives it.
 *
 * @param contract the contract identity
 * @param params the grant's params (validated against the permission's schema)
 * @param implementors the replicas whose RCBs receive the grant; empty: every replica implementing the contract
 */
public record GrantSpec(String contract, String permission, ObjectNode params, List<String> implementors) {

    public GrantSpec {
        requireNonNull(contract, "contract");
        requireNonNull(permission, "permission");
        params = params == null ? JsonNodeFactory.instance.objectNode() : params;
        implementors = implementors == null ? List.of() : List.copyOf(implementors);
    }

    public static GrantSpec of(String contract, String permission) {
        return new GrantSpec(contract, permission, null, List.of());
    }

    public static GrantSpec of(String contract, String permission, ObjectNode params) {
        return new GrantSpec(contract, permission, params, List.of());
    }

    /** A named group of grants (a permission set). */
    public record PermissionSet(String name, List<GrantSpec> grants) {
        public PermissionSet {
            requireNonNull(name, "name");
            grants = List.copyOf(grants);
        }
    }
}
