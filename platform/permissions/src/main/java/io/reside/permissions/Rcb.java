package io.reside.permissions;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;

/**
 * A Replica Control Block: what one replica instance must know, at {@code rcb/<replicaId>}. Written by Alpha (and
 * holders of {@code rcb:manage:all}); read and watched by the replica.
 * <p>
 * The grants the replica must enforce are not in it: each is its own document, {@link GrantEntry} at
 * {@code grants/<replicaId>/<url-encoded grant key>} ({@link GrantKeys#expectedKey}), so that a grant change costs one
 * write and one watch event however many grants exist, and the RCB's size does not grow with them. The state of each
 * grant as the replica applied it is kept apart again, under {@code grants-current/<replicaId>/} (see
 * {@link CurrentGrant}), so that each key has a single writer.
 *
 * @param implementations identities of the contracts the replica implements
 * @param requirements requirement key → the implementors chosen for it (several when {@code multiple}, none when an
 *        optional requirement has no implementor)
 */
public record Rcb(
        String id,
        String name,
        String accountId,
        String manifestDigest,
        List<String> implementations,
        Map<String, List<Implementor>> requirements) {

    public static final DocType<Rcb> TYPE = DocType.of("rcb", Rcb.class);
    /** A grant the replica must enforce, at {@link GrantKeys#expectedKey}. */
    public static final DocType<GrantEntry> GRANT = DocType.of("grant", GrantEntry.class);

    public static String key(String replicaId) {
        return "rcb/" + replicaId;
    }

    public Rcb withRequirements(Map<String, List<Implementor>> newRequirements) {
        return new Rcb(id, name, accountId, manifestDigest, implementations, newRequirements);
    }

    /**
     * An implementor chosen for a requirement.
     *
     * @param endpoints access context ({@code internal}, {@code external}, {@code local}) → base URL
     */
    public record Implementor(String replicaId, String name, String accountId, Map<String, String> endpoints) {
    }

    /**
     * One permission given to one grantee (an account or a group, see {@link GrantKeys}), as the replica must enforce
     * it.
     *
     * @param instanceId the instance the grant is for, or null for a single-instance permission
     * @param sources who grants it, with the params each gives
     * @param expected what the replica must apply: granted while any source grants it
     */
    public record GrantEntry(
            String grantee,
            String contract,
            String permission,
            String instanceId,
            Map<GrantSource, ObjectNode> sources,
            Expected expected) {

        /** Its key ({@link GrantKeys#grantKey}). */
        public String key() {
            return GrantKeys.grantKey(grantee, contract, permission, instanceId);
        }
    }

    /** @param params the params of the first source in {@link GrantSource} order */
    public record Expected(boolean granted, ObjectNode params) {
    }
}
