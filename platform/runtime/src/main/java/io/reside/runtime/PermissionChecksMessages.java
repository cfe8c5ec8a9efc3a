package io.reside.runtime;

/** The wording of permission failures, shared by the declarative and the programmatic checks. */
public final class PermissionChecksMessages {

    private PermissionChecksMessages() {
    }

    /** "permission denied: you need realm:read{telegram} of .../contracts/user-manager.v1". */
    public static String missing(String contract, String permission, String instanceId) {
        return "permission denied: you need " + permission + (instanceId == null ? "" : "{" + instanceId + "}")
                + " of " + contract;
    }
}
