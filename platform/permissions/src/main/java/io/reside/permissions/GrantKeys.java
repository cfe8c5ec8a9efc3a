package io.reside.permissions;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Keys of grants and of the documents around RCBs, and the grantees a grant may have: an account, every user of a
 * realm ({@code realm:<name>}), or every user ({@value #ALL_USERS}).
 */
public final class GrantKeys {

    /** The grantee that stands for every user (an account of kind user or managed user). */
    public static final String ALL_USERS = "users:all";
    private static final String REALM_GROUP = "realm:";
    private static final java.util.regex.Pattern REALM_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private GrantKeys() {
    }

    /** The grantee that stands for every user of realm {@code realm}. */
    public static String realmGroup(String realm) {
        return REALM_GROUP + realm;
    }

    /** Whether {@code grantee} is a group ({@link #realmGroup}, {@link #ALL_USERS}) rather than an account. */
    public static boolean isGroup(String grantee) {
        return grantee.equals(ALL_USERS) || grantee.startsWith(REALM_GROUP);
    }

    /**
     * Checks a grantee: an account id (no {@code /} or {@code :}), {@code realm:<name>} with a realm name of
     * lower-case letters, digits and dashes, or {@value #ALL_USERS}.
     *
     * @throws IllegalArgumentException naming the grantee and the rule
     */
    public static String requireGrantee(String grantee) {
        if (grantee == null || grantee.isBlank()) {
            throw new IllegalArgumentException("grantee is missing");
        }
        if (grantee.startsWith(REALM_GROUP)) {
            if (!REALM_NAME.matcher(grantee.substring(REALM_GROUP.length())).matches()) {
                throw new IllegalArgumentException("grantee '" + grantee + "': a realm name is 1 to 63 lower-case "
                        + "letters, digits and dashes, starting and ending with a letter or digit");
            }
            return grantee;
        }
        if (grantee.equals(ALL_USERS)) {
            return grantee;
        }
        if (grantee.contains("/") || grantee.contains(":") || !grantee.strip().equals(grantee)) {
            throw new IllegalArgumentException("grantee '" + grantee + "' is not an account id, realm:<name> or "
                    + ALL_USERS);
        }
        return grantee;
    }

    /** {@code <granteeAccountId>/<contractIdentity>/<permission>[/<instanceId>]}. */
    public static String grantKey(String grantee, String contract, String permission, String instanceId) {
        return grantee + "/" + contract + "/" + permission + (instanceId == null ? "" : "/" + instanceId);
    }

    /** The prefix of the grants a replica must enforce (one document per grant, written by Alpha). */
    public static String expectedPrefix(String replicaId) {
        return "grants/" + replicaId + "/";
    }

    /** Where the grant {@code grantKey} of a replica is. */
    public static String expectedKey(String replicaId, String grantKey) {
        return expectedPrefix(replicaId) + encode(grantKey);
    }

    /** The prefix of the grants of one grantee in a replica (the grantee's part of the key, encoded, and its '/'). */
    public static String expectedPrefix(String replicaId, String grantee) {
        return expectedPrefix(replicaId) + encode(grantee + "/");
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
