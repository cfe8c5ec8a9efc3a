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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.etcd.DocType;
import io.reside.etcd.Store;
import io.reside.etcd.Tx;
import io.reside.etcd.Versioned;
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
    private static final DocType<JsonNode> ANY = DocType.of("any", JsonNode.class);

    private RcbAdmin() {
    }

    /** Registers (or replaces) a contract manifest. */
    public static void registerContract(Tx tx, ContractManifest manifest) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        requireNonNull(manifest, "manifest");
        tx.put(CONTRACT, GrantKeys.contractKey(manifest.identity()), new ContractRecord(manifest, Instant.now()));
    }

    public static Optional<ContractManifest> findContract(Tx tx, String identity) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        return tx.find(CONTRACT, GrantKeys.contractKey(identity)).map(ContractRecord::manifest);
    }

    /** Every registered contract, in no particular order (what a contract shares is readable by every replica). */
    public static List<ContractManifest> listContracts(Store store) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        return store.list(CONTRACT, "contracts/").stream().map(v -> v.value().manifest()).toList();
    }

    /**
     * Creates an RCB and records the replica as an implementor of its contracts.
     *
     * @throws io.reside.etcd.AlreadyExistsException when an RCB with this id exists
     */
    public static void createRcb(Tx tx, Rcb rcb) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
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
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
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
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        requireNonNull(grantee, "grantee");
        requireNonNull(source, "source");
        requireNonNull(sets, "sets");
        GrantKeys.requireGrantee(grantee);
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
            if (!tx.exists(Rcb.key(replicaId))) {
                if (desired.containsKey(replicaId)) {
                    throw new IllegalArgumentException(
                            "no RCB for replica " + replicaId + ", chosen as an implementor");
                }
                continue;
            }
            Map<String, Resolved> mine = desired.getOrDefault(replicaId, Map.of());
            // only this grantee's grants in this replica are read and written: O(its grants), whatever the others
            Map<String, Rcb.GrantEntry> before = grantsOf(tx, replicaId, grantee);
            Map<String, Rcb.GrantEntry> after = new LinkedHashMap<>(before);
            for (Map.Entry<String, Rcb.GrantEntry> e : before.entrySet()) {
                Rcb.GrantEntry entry = e.getValue();
                if (entry.sources().containsKey(source) && !mine.containsKey(e.getKey())) {
                    Map<GrantSource, ObjectNode> sources = new EnumMap<>(GrantSource.class);
                    sources.putAll(entry.sources());
                    sources.remove(source);
                    after.put(e.getKey(), entry(entry, sources));
                    if (sources.isEmpty()) {
                        revoked++;
                    }
                }
            }
            for (Resolved r : mine.values()) {
                Rcb.GrantEntry entry = after.get(r.key());
                Map<GrantSource, ObjectNode> sources = new EnumMap<>(GrantSource.class);
                if (entry != null) {
                    sources.putAll(entry.sources());
                }
                ObjectNode previous = sources.put(source, r.params());
                Rcb.GrantEntry next = entry != null ? entry(entry, sources)
                        : entry(new Rcb.GrantEntry(grantee, r.contract(), r.permission(), r.instanceId(), Map.of(),
                                null), sources);
                after.put(r.key(), next);
                if (entry == null || !entry.expected().granted()) {
                    granted++;
                } else if (!Objects.equals(previous, r.params())) {
                    updated++;
                }
            }
            forgetRevokedAndApplied(tx, replicaId, after);
            for (Map.Entry<String, Rcb.GrantEntry> e : before.entrySet()) {
                if (!after.containsKey(e.getKey())) {
                    tx.delete(GrantKeys.expectedKey(replicaId, e.getKey()));
                }
            }
            for (Map.Entry<String, Rcb.GrantEntry> e : after.entrySet()) {
                if (!e.getValue().equals(before.get(e.getKey()))) {
                    tx.put(Rcb.GRANT, GrantKeys.expectedKey(replicaId, e.getKey()), e.getValue());
                }
            }
            if (!after.isEmpty()) {
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
     * Checks one grant as {@link #syncGrants} would, in the caller's transaction: the contract is registered, it
     * defines the permission, the params match the permission's schema.
     *
     * @return the instance id the grant is for, or null for a single-instance permission
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String checkGrant(Tx tx, GrantSpec spec) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        return resolve(tx, "check", "check", spec).instanceId();
    }

    /** The grants a replica must enforce (every grantee's), by grant key. Outside a transaction: it may be large. */
    public static Map<String, Rcb.GrantEntry> grantsOf(Store store, String replicaId) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        Map<String, Rcb.GrantEntry> result = new LinkedHashMap<>();
        for (Versioned<Rcb.GrantEntry> v : store.list(Rcb.GRANT, GrantKeys.expectedPrefix(replicaId))) {
            result.put(v.value().key(), v.value());
        }
        return result;
    }

    /** A grant an account holds, and the replica whose RCB holds it. */
    public record Held(String replicaId, Rcb.GrantEntry grant) {
    }

    /** Every grant {@code grantee} holds, in every replica's RCB, read in one transaction. */
    public static List<Held> grantsHeldBy(Store store, String grantee) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        return store.run(tx -> {
            List<Held> held = new ArrayList<>();
            Set<String> replicas = tx.find(REPLICA_IDS, GrantKeys.granteeKey(grantee)).map(ReplicaIds::replicaIds)
                    .orElse(Set.of());
            for (String replicaId : new TreeSet<>(replicas)) {
                grantsOf(tx, replicaId, grantee).values().forEach(g -> held.add(new Held(replicaId, g)));
            }
            return held;
        });
    }

    /** The grants of one grantee in a replica, by grant key, in the caller's transaction. */
    public static Map<String, Rcb.GrantEntry> grantsOf(Tx tx, String replicaId, String grantee) {
        tx = tx.cluster(); // shared records: at the cluster root whatever view the caller has
        Map<String, Rcb.GrantEntry> result = new LinkedHashMap<>();
        for (Versioned<Rcb.GrantEntry> v : tx.list(Rcb.GRANT, GrantKeys.expectedPrefix(replicaId, grantee))) {
            result.put(v.value().key(), v.value());
        }
        return result;
    }

    /**
     * Deletes, outside any transaction and in transactions of at most {@code batch} keys, the grant documents, the
     * applied state and the own data ({@link Store#dataPrefix}) of a replica that has no RCB any more (it was
     * unloaded: its RCB went in the unload's transaction, the rest may be too much for one). Idempotent; does nothing
     * while the RCB exists.
     *
     * @return how many documents were deleted
     */
    public static int purgeGrants(Store store, String replicaId, int batch) {
        store = store.cluster(); // shared records: at the cluster root whatever view the caller has
        int deleted = 0;
        for (String prefix : List.of(GrantKeys.expectedPrefix(replicaId), GrantKeys.currentPrefix(replicaId), Store
                .dataPrefix(replicaId))) {
            List<String> keys = store.list(ANY, prefix).stream().map(Versioned::key).toList();
            for (int from = 0; from < keys.size(); from += batch) {
                List<String> some = keys.subList(from, Math.min(keys.size(), from + batch));
                int n = store.run(tx -> {
                    if (tx.exists(Rcb.key(replicaId))) {
                        return -1; // an RCB with this id exists (again): its grants are not orphans
                    }
                    some.forEach(tx::delete);
                    return some.size();
                });
                if (n < 0) {
                    return deleted;
                }
                deleted += n;
            }
        }
        return deleted;
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
