package io.reside.permissions;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Keys of grants and of the documents around RCBs. */
public final class GrantKeys {

    private GrantKeys() {
    }

    /** {@code <granteeAccountId>/<contractIdentity>/<permission>[/<instanceId>]}. */
    public static String grantKey(String grantee, String contract, String permission, String instanceId) {
        return grantee + "/" + contract + "/" + permission + (instanceId == null ? "" : "/" + instanceId);
    }

    /** The prefix of the applied state of a replica's grants. */
    public static String currentPrefix(String replicaId) {
        return "grants-current/" + replicaId + "/";
    }

    public static String currentKey(String replicaId, String grantKey) {
        return currentPrefix(replicaId) + encode(grantKey);
    }

    /** The registered manifest of a contract. */
    public static String contractKey(String identity) {
        return "contracts/" + encode(identity);
    }

    /** The replicas implementing a contract. */
    public static String implementorsKey(String identity) {
        return "implementors/" + encode(identity);
    }

    /** The replicas whose RCBs hold grants of an account. */
    public static String granteeKey(String grantee) {
        return "grantees/" + encode(grantee);
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
