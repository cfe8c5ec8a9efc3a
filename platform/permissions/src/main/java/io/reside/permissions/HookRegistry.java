package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;

/** The hooks of a replica, by contract identity and permission name; permissions without hooks apply at once. */
public final class HookRegistry {

    private final Map<String, PermissionHooks> hooks = new HashMap<>();

    public HookRegistry register(String contract, String permission, PermissionHooks h) {
        requireNonNull(h, "hooks");
        if (hooks.putIfAbsent(contract + "#" + requireNonNull(permission, "permission"), h) != null) {
            throw new IllegalArgumentException("hooks for " + permission + " of " + contract + " are registered twice");
        }
        return this;
    }

    public PermissionHooks find(String contract, String permission) {
        return hooks.getOrDefault(contract + "#" + permission, PermissionHooks.NONE);
    }
}
