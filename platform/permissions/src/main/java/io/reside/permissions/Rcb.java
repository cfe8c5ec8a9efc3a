package io.reside.permissions;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;

/**
 * A Replica Control Block: what one replica instance must know and enforce, at {@code rcb/<replicaId>}. Written by
 * Alpha (and holders of {@code rcb:manage:all}); read and watched by the replica. The state of each grant as the
 * replica applied it is kept apart, under {@code grants-current/<replicaId>/} (see {@link CurrentGrant}), so that
 * each key has a single writer.
 *
 * @param implementations identities of the contracts the replica implements
 * @param requirements requirement key → the implementors chosen for it (several when {@code multiple}, none when an
 *        optional requirement has no implementor)
 * @param grants grant key ({@link GrantKeys#grantKey}) → the grant the replica must enforce
 */
public record Rcb(
        String id,
        String name,
        String accountId,
        String manifestDigest,
        List<String> implementations,
        Map<String, List<Implementor>> requirements,
        Map<String, GrantEntry> grants) {

    public static final DocType<Rcb> TYPE = DocType.of("rcb", Rcb.class);

    public static String key(String replicaId) {
        return "rcb/" + replicaId;
    }

    public Rcb withGrants(Map<String, GrantEntry> newGrants) {
        return new Rcb(id, name, accountId, manifestDigest, implementations, requirements, newGrants);
    }

    public Rcb withRequirements(Map<String, List<Implementor>> newRequirements) {
        return new Rcb(id, name, accountId, manifestDigest, implementations, newRequirements, grants);
    }

    /**
     * An implementor chosen for a requirement.
     *
     * @param endpoints access context ({@code internal}, {@code external}, {@code local}) → base URL
     */
    public record Implementor(String replicaId, String name, String accountId, Map<String, String> endpoints) {
    }

    /**
     * One permission given to one account, as the replica must enforce it.
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
    }

    /** @param params the params of the first source in {@link GrantSource} order */
    public record Expected(boolean granted, ObjectNode params) {
    }
}
