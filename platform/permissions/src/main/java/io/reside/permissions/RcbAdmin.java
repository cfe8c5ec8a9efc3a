package io.reside.permissions;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;
import io.reside.etcd.Tx;
import io.reside.model.PermissionParams;
import io.reside.model.manifest.ContractManifest;

/**
 * What Alpha (and holders of {@code rcb:manage:all}) write: registered contracts, RCBs, and the grants RCBs carry.
 * Every method works inside the caller's transaction, so it composes with the rest of the caller's change and is
 * atomic with it. Invalid input throws {@link IllegalArgumentException} naming what is wrong; the transaction then
 * writes nothing.
 */
public final class RcbAdmin {

    /** A contract as registered in the cluster. */
    public record ContractRecord(ContractManifest manifest, Instant registeredAt) {
    }

    /** The replicas implementing a contract, or the replicas holding grants of an account. */
    public record ReplicaIds(Set<String> replicaIds) {
    }

    public static final DocType<ContractRecord> CONTRACT = DocType.of("contract", ContractRecord.class);
    public static final DocType<ReplicaIds> REPLICA_IDS = DocType.of("replica-ids", ReplicaIds.class);

    private RcbAdmin() {
    }

    /** Registers (or replaces) a contract manifest. */
    public static void registerContract(Tx tx, ContractManifest manifest) {
        requireNonNull(manifest, "manifest");
        tx.put(CONTRACT, GrantKeys.contractKey(manifest.identity()), new ContractRecord(manifest, Instant.now()));
    }

    public static Optional<ContractManifest> findContract(Tx tx, String identity) {
        return tx.find(CONTRACT, GrantKeys.contractKey(identity)).map(ContractRecord::manifest);
    }

    /**
     * Creates an RCB and records the replica as an implementor of its contracts.
     *
     * @throws io.reside.etcd.AlreadyExistsException when an RCB with this id exists
     */
    public static void createRcb(Tx tx, Rcb rcb) {
        RcbValidator.validate(rcb).ifPresent(problem -> {
            throw new IllegalArgumentException("invalid RCB " + rcb.id() + ": " + problem);
        });
        tx.create(Rcb.TYPE, Rcb.key(rcb.id()), rcb);
        for (String contract : rcb.implementations()) {
            String key = GrantKeys.implementorsKey(contract);
            Set<String> ids = new TreeSet<>(tx.find(REPLICA_IDS, key).map(ReplicaIds::replicaIds).orElse(Set.of()));
            ids.add(rcb.id());
            tx.put(REPLICA_IDS, key, new ReplicaIds(ids));
        }
    }

    /** Replaces the implementors chosen for a replica's requirements; the replica sees it live. */
    public static void setRequirements(Tx tx, String replicaId, Map<String, List<Rcb.Implementor>> requirements) {
        Rcb rcb = tx.get(Rcb.TYPE, Rcb.key(replicaId));
        tx.put(Rcb.TYPE, Rcb.key(replicaId), rcb.withRequirements(Map.copyOf(requirements)));
    }

    /**
     * Makes the grants that {@code source} gives {@code grantee} exactly {@code sets}, in the RCBs of the implementors
     * of each contract: new grants are added, changed params updated, and grants of this source no longer in the sets
     * become {@code expected.granted=false} (unless another source still grants them). The replicas apply the change
     * through their reconcilers. Atomic with the caller's transaction; concurrent calls for other grantees or
     * sources lose nothing (they conflict and re-run).
     *
     * @return what changed
     * @throws IllegalArgumentException for an unknown contract or permission, or params that do not match the
     *         permission's schema
     */
    public static SyncResult syncGrants(Tx tx, String grantee, GrantSource source,
            List<GrantSpec.PermissionSet> sets) {
        requireNonNull(grantee, "grantee");
        requireNonNull(source, "source");
        requireNonNull(sets, "sets");
        if (grantee.isBlank() || grantee.contains("/")) {
            throw new IllegalArgumentException("grantee '" + grantee + "' is not an account id");
        }
        // replica id → grant key → the resolved grant
        Map<String, Map<String, Resolved>> desired = new LinkedHashMap<>();
        List<String> withoutImplementor = new ArrayList<>();
        for (GrantSpec.PermissionSet set : sets) {
            for (GrantSpec spec : set.grants()) {
                Resolved r = resolve(tx, grantee, set.name(), spec);
                List<String> targets = spec.implementors().isEmpty()
                        ? List.copyOf(tx.find(REPLICA_IDS, GrantKeys.implementorsKey(spec.contract()))
                                .map(ReplicaIds::replicaIds).orElse(Set.of()))
                        : spec.implementors();
                if (targets.isEmpty()) {
                    withoutImplementor.add(r.key());
                }
                for (String replicaId : targets) {
                    Resolved previous = desired.computeIfAbsent(replicaId, k -> new LinkedHashMap<>()).put(r.key(), r);
                    if (previous != null && !previous.params().equals(r.params())) {
                        throw new IllegalArgumentException("permission " + spec.permission() + " of " + spec.contract()
                                + (r.instanceId() == null ? "" : " for instance '" + r.instanceId() + "'")
                                + " is given twice with different params (sets '" + previous.set() + "' and '"
                                + set.name() + "')");
                    }
                }
            }
        }
        String granteeKey = GrantKeys.granteeKey(grantee);
        Set<String> holding = new TreeSet<>(tx.find(REPLICA_IDS, granteeKey).map(ReplicaIds::replicaIds)
                .orElse(Set.of()));
        Set<String> touched = new LinkedHashSet<>(desired.keySet());
        touched.addAll(holding);
        int granted = 0;
        int updated = 0;
        int revoked = 0;
        Set<String> stillHolding = new TreeSet<>();
        for (String replicaId : touched) {
            Optional<Rcb> found = tx.find(Rcb.TYPE, Rcb.key(replicaId));
            if (found.isEmpty()) {
                if (desired.containsKey(replicaId)) {
                    throw new IllegalArgumentException(
                            "no RCB for replica " + replicaId + ", chosen as an implementor");
                }
                continue;
            }
            Rcb rcb = found.get();
            Map<String, Resolved> mine = desired.getOrDefault(replicaId, Map.of());
            Map<String, Rcb.GrantEntry> grants = new LinkedHashMap<>(rcb.grants());
            for (Map.Entry<String, Rcb.GrantEntry> e : rcb.grants().entrySet()) {
                Rcb.GrantEntry entry = e.getValue();
                if (entry.grantee().equals(grantee) && entry.sources().containsKey(source)
                        && !mine.containsKey(e.getKey())) {
                    Map<GrantSource, ObjectNode> sources = new EnumMap<>(GrantSource.class);
                    sources.putAll(entry.sources());
                    sources.remove(source);
                    grants.put(e.getKey(), entry(entry, sources));
                    if (sources.isEmpty()) {
                        revoked++;
                    }
                }
            }
            for (Resolved r : mine.values()) {
                Rcb.GrantEntry entry = grants.get(r.key());
                Map<GrantSource, ObjectNode> sources = new EnumMap<>(GrantSource.class);
                if (entry != null) {
                    sources.putAll(entry.sources());
                }
                ObjectNode before = sources.put(source, r.params());
                Rcb.GrantEntry next = entry != null ? entry(entry, sources)
                        : entry(new Rcb.GrantEntry(grantee, r.contract(), r.permission(), r.instanceId(), Map.of(),
                                null), sources);
                grants.put(r.key(), next);
                if (entry == null || !entry.expected().granted()) {
                    granted++;
                } else if (!Objects.equals(before, r.params())) {
                    updated++;
                }
            }
            forgetRevokedAndApplied(tx, replicaId, grants);
            if (!grants.equals(rcb.grants())) {
                tx.put(Rcb.TYPE, Rcb.key(replicaId), rcb.withGrants(grants));
            }
            if (grants.values().stream().anyMatch(g -> g.grantee().equals(grantee))) {
                stillHolding.add(replicaId);
            }
        }
        if (!stillHolding.equals(holding)) {
            if (stillHolding.isEmpty()) {
                tx.delete(granteeKey);
            } else {
                tx.put(REPLICA_IDS, granteeKey, new ReplicaIds(stillHolding));
            }
        }
        return new SyncResult(granted, updated, revoked, withoutImplementor);
    }

    /**
     * @param granted grants newly in force (expected granted where they were not)
     * @param updated granted permissions whose params changed
     * @param revoked grants no longer given by any source
     * @param withoutImplementor grant keys no replica implements yet (recorded nowhere)
     */
    public record SyncResult(int granted, int updated, int revoked, List<String> withoutImplementor) {
    }

    /** Entries nobody grants any more can go once the replica has applied the revocation. */
    private static void forgetRevokedAndApplied(Tx tx, String replicaId, Map<String, Rcb.GrantEntry> grants) {
        grants.entrySet().removeIf(e -> {
            if (e.getValue().expected().granted()) {
                return false;
            }
            return tx.find(CurrentGrant.TYPE, GrantKeys.currentKey(replicaId, e.getKey()))
                    .map(c -> !c.granted()).orElse(true);
        });
    }

    private static Rcb.GrantEntry entry(Rcb.GrantEntry base, Map<GrantSource, ObjectNode> sources) {
        ObjectNode params = sources.isEmpty() ? base.expected() == null ? null : base.expected().params()
                : sources.values().iterator().next();
        return new Rcb.GrantEntry(base.grantee(), base.contract(), base.permission(), base.instanceId(),
                Map.copyOf(sources), new Rcb.Expected(!sources.isEmpty(), params));
    }

    private record Resolved(String key, String set, String contract, String permission, String instanceId,
            ObjectNode params) {
    }

    private static Resolved resolve(Tx tx, String grantee, String set, GrantSpec spec) {
        ContractManifest contract = findContract(tx, spec.contract()).orElseThrow(() -> new IllegalArgumentException(
                "unknown contract " + spec.contract() + ": no replica implementing it has been loaded"));
        ContractManifest.Permission def = contract.permissions().get(spec.permission());
        if (def == null) {
            throw new IllegalArgumentException("contract " + spec.contract() + " defines no permission '"
                    + spec.permission() + "' (it defines: " + String.join(", ", contract.permissions().keySet()) + ")");
        }
        List<String> problems = PermissionParams.validate(def.params(), spec.params());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid params for " + spec.permission() + " of " + spec.contract()
                    + ": " + String.join("; ", problems));
        }
        String instanceId = PermissionParams.instanceId(def.instanceKeys(), spec.params());
        return new Resolved(GrantKeys.grantKey(grantee, spec.contract(), spec.permission(), instanceId), set,
                spec.contract(), spec.permission(), instanceId, spec.params().deepCopy());
    }
}
