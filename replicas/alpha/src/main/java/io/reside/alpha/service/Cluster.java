package io.reside.alpha.service;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.etcd.Store;
import io.reside.etcd.Tx;
import io.reside.etcd.Versioned;
import io.reside.model.PermissionParams;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.ContractManifest;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.Contracts;
import io.reside.security.AccountRegistry;

/**
 * The instances, their versions and the cluster's contracts and grants, as alpha.v1 shows and changes them. Each
 * change is one transaction on Alpha's records; what runs follows from the workload reconciler.
 */
@ApplicationScoped
public class Cluster {

    private static final Logger LOG = Logger.getLogger(Cluster.class);

    @Inject
    Store store;

    @Inject
    io.reside.alpha.runtime.WorkloadRuntime runtime;

    // ------------------------------------------------------------------ replicas

    /** Every instance with its current version, read in one transaction: a consistent picture. */
    public List<AlphaApi.Replica> replicas() {
        List<AlphaApi.Replica> result = store.run(tx -> {
            List<AlphaApi.Replica> views = new ArrayList<>();
            for (Versioned<Records.ReplicaRecord> r : tx.list(Records.REPLICA, Records.REPLICAS)) {
                views.add(view(tx, r.value()));
            }
            return views;
        });
        result.sort(java.util.Comparator.comparing(AlphaApi.Replica::name));
        return result;
    }

    public AlphaApi.Replica replica(String idOrName) {
        String id = record(idOrName).id();
        // the instance and its version from one transaction: never a status without the endpoints it came with
        return store.run(tx -> view(tx, tx.find(Records.REPLICA, Records.replicaKey(id)).orElseThrow(
                () -> new ResideException.NotFoundException("there is no replica " + idOrName))));
    }

    private static AlphaApi.Replica view(Tx tx, Records.ReplicaRecord r) {
        return Views.replica(r, tx.find(Records.VERSION, Records.versionKey(r.id(), r.currentVersionId()))
                .orElse(null));
    }

    public List<AlphaApi.Version> versions(String replicaId) {
        Records.ReplicaRecord r = record(replicaId);
        return Views.versions(store.list(Records.VERSION, Records.versionsOf(r.id())).stream().map(Versioned::value)
                .toList());
    }

    private AlphaApi.Replica view(Records.ReplicaRecord r) {
        return Views.replica(r, store.find(Records.VERSION, Records.versionKey(r.id(), r.currentVersionId()))
                .map(Versioned::value).orElse(null));
    }

    /**
     * The designated User Manager (the record delegation checks read, written when a replica implementing
     * user-manager.v1 is approved) and where it answers.
     *
     * @throws ResideException.NotFoundException when the cluster has none yet, saying what to do
     */
    public AlphaApi.ReplicaEndpoints userManager() {
        return store.run(tx -> {
            String accountId = tx.find(io.reside.security.AccountRegistry.USER_MANAGER,
                    io.reside.security.AccountRegistry.USER_MANAGER_KEY).map(
                            io.reside.security.AccountRegistry.UserManager::accountId)
                    .orElseThrow(
                            () -> new ResideException.NotFoundException("this cluster has no User Manager "
                                    + "yet: load a replica implementing user-manager.v1"));
            for (Versioned<Records.ReplicaRecord> r : tx.list(Records.REPLICA, Records.REPLICAS)) {
                if (r.value().accountId().equals(accountId)) {
                    return new AlphaApi.ReplicaEndpoints(r.value().id(), r.value().name(), accountId, r.value()
                            .endpoints() == null ? Map.of() : r.value().endpoints());
                }
            }
            throw new ResideException.NotFoundException("the User Manager's instance (account " + accountId
                    + ") is gone: load a replica implementing user-manager.v1");
        });
    }

    /** An instance by id or name. */
    Records.ReplicaRecord record(String idOrName) {
        if (idOrName == null || idOrName.isBlank()) {
            throw new ResideException.InvalidInputException("name the replica: its id (r-...) or its name");
        }
        Optional<Records.ReplicaRecord> byId = store.find(Records.REPLICA, Records.replicaKey(idOrName))
                .map(Versioned::value);
        if (byId.isPresent()) {
            return byId.get();
        }
        return Records.NAMES.find(store, idOrName).flatMap(id -> store.find(Records.REPLICA, Records.replicaKey(id)))
                .map(Versioned::value).orElseThrow(() -> new ResideException.NotFoundException("there is no replica "
                        + idOrName));
    }

    public AlphaApi.Replica setEnabled(AlphaApi.SetReplicaEnabled request) {
        notAlpha(request.id());
        Records.ReplicaRecord changed = store.run(tx -> {
            Records.ReplicaRecord r = tx.find(Records.REPLICA, Records.replicaKey(request.id())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no replica " + request.id()));
            Records.ReplicaRecord next = r.withEnabled(request.enabled());
            tx.put(Records.REPLICA, Records.replicaKey(r.id()), next);
            return next;
        });
        return view(changed);
    }

    public AlphaApi.Replica setPlacementGroup(AlphaApi.SetPlacementGroup request) {
        if (request.placementGroup() != null && !request.placementGroup().isEmpty()
                && !request.placementGroup().matches("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?")) {
            throw new ResideException.InvalidInputException("placementGroup '" + request.placementGroup() + "' must be "
                    + "a Kubernetes label value: lowercase letters, digits, '-' and '.'");
        }
        Records.ReplicaRecord changed = store.run(tx -> {
            Records.ReplicaRecord r = tx.find(Records.REPLICA, Records.replicaKey(request.id())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no replica " + request.id()));
            Records.ReplicaRecord next = r.withPlacementGroup(request.placementGroup() == null
                    || request.placementGroup().isEmpty() ? null : request.placementGroup());
            tx.put(Records.REPLICA, Records.replicaKey(r.id()), next);
            return next;
        });
        return view(changed);
    }

    /** A new version from an earlier version's image, wiring and static permissions. */
    public AlphaApi.Version rollback(AlphaApi.RollbackReplica request) {
        notAlpha(request.id());
        return store.run(tx -> {
            Records.ReplicaRecord r = tx.find(Records.REPLICA, Records.replicaKey(request.id())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no replica " + request.id()));
            Records.VersionRecord earlier = tx.find(Records.VERSION, Records.versionKey(r.id(), request.versionId()))
                    .orElseThrow(() -> new ResideException.NotFoundException("replica " + r.name() + " has no version "
                            + request.versionId()));
            if (earlier.id() == r.currentVersionId()) {
                throw new ResideException.NotAllowedInStateException("version " + earlier.id() + " is the current "
                        + "version of " + r.name() + " already");
            }
            int id = r.lastVersionId() + 1;
            Map<String, List<Rcb.Implementor>> wiring = new LinkedHashMap<>();
            earlier.requirements().forEach((key, ids) -> {
                List<Rcb.Implementor> list = new ArrayList<>();
                for (String implementor : ids) {
                    tx.find(Records.REPLICA, Records.replicaKey(implementor)).ifPresent(i -> list.add(
                            new Rcb.Implementor(i.id(), i.name(), i.accountId(), i.endpoints())));
                }
                wiring.put(key, list);
            });
            RcbAdmin.setRequirements(tx, r.id(), wiring);
            Records.VersionRecord next = new Records.VersionRecord(r.id(), id, earlier.image(), earlier.digest(),
                    earlier.manifest(), earlier.requirements(), earlier.permissions(), "starting",
                    "rolled back to the image of version " + earlier.id(), Instant.now());
            tx.put(Records.VERSION, Records.versionKey(r.id(), id), next);
            tx.put(Records.REPLICA, Records.replicaKey(r.id()), r.withCurrentVersion(id, earlier.manifest()));
            RcbAdmin.syncGrants(tx, r.accountId(), GrantSource.STATIC, staticSets(earlier));
            return Views.version(next);
        });
    }

    /**
     * Removes an instance: its records, RCB, account and name, the grants it received (in other replicas' RCBs),
     * its place in the RCBs of replicas wired to it. The reconciler then stops its workload, deletes its key, and
     * deletes the grants it gave (the grant documents of its RCB, in batches: they may be many).
     */
    public AlphaApi.Replica unload(AlphaApi.UnloadReplica request) {
        notAlpha(request.id());
        Records.ReplicaRecord removed = store.run(tx -> {
            Records.ReplicaRecord r = tx.find(Records.REPLICA, Records.replicaKey(request.id())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no replica " + request.id()));
            for (GrantSource source : GrantSource.values()) {
                RcbAdmin.syncGrants(tx, r.accountId(), source, List.of());
            }
            for (Versioned<Records.ReplicaRecord> other : tx.list(Records.REPLICA, Records.REPLICAS)) {
                if (other.value().id().equals(r.id())) {
                    continue;
                }
                tx.find(Rcb.TYPE, Rcb.key(other.value().id())).ifPresent(rcb -> {
                    Map<String, List<Rcb.Implementor>> requirements = new LinkedHashMap<>();
                    boolean touched = false;
                    for (Map.Entry<String, List<Rcb.Implementor>> e : rcb.requirements().entrySet()) {
                        List<Rcb.Implementor> kept = e.getValue().stream().filter(i -> !i.replicaId().equals(r.id()))
                                .toList();
                        touched |= kept.size() != e.getValue().size();
                        requirements.put(e.getKey(), kept);
                    }
                    if (touched) {
                        tx.put(Rcb.TYPE, Rcb.key(other.value().id()), rcb.withRequirements(requirements));
                    }
                });
            }
            for (String contract : r.manifest().implementations().values().stream()
                    .map(io.reside.model.manifest.ReplicaManifest.Implementation::identity).toList()) {
                String key = GrantKeys.implementorsKey(contract);
                tx.find(RcbAdmin.REPLICA_IDS, key).ifPresent(ids -> {
                    Set<String> left = new java.util.TreeSet<>(ids.replicaIds());
                    left.remove(r.id());
                    if (left.isEmpty()) {
                        tx.delete(key);
                    } else {
                        tx.put(RcbAdmin.REPLICA_IDS, key, new RcbAdmin.ReplicaIds(left));
                    }
                });
            }
            tx.delete(Rcb.key(r.id()));
            tx.put(Records.PURGE, Records.purgeKey(r.id()), new Records.Purge(r.id(), r.name(), Instant.now()));
            tx.delete(AccountRegistry.key(r.accountId()));
            Records.NAMES.release(tx, r.name(), r.id());
            Records.EXCLUSIVE.release(tx, r.identity(), r.id());
            for (Versioned<Records.VersionRecord> v : tx.list(Records.VERSION, Records.versionsOf(r.id()))) {
                tx.delete(Records.versionKey(r.id(), v.value().id()));
            }
            tx.delete(Records.replicaKey(r.id()));
            return r;
        });
        LOG.infof("unloaded %s (%s)", removed.name(), removed.id());
        return Views.replica(removed.withEnabled(false), null);
    }

    private static void notAlpha(String id) {
        if (Records.ALPHA_ID.equals(id) || "alpha".equals(id)) {
            throw new ResideException.NotAllowedInStateException("Alpha manages itself through load requests only");
        }
    }

    static List<GrantSpec.PermissionSet> staticSets(Records.VersionRecord v) {
        List<GrantSpec> grants = new ArrayList<>();
        for (AlphaApi.PlannedPermission p : v.permissions()) {
            List<String> implementors = v.requirements().getOrDefault(p.requirement(), List.of());
            if (!implementors.isEmpty()) {
                grants.add(new GrantSpec(p.contract(), p.permission(), p.params(), implementors));
            }
        }
        return grants.isEmpty() ? List.of() : List.of(new GrantSpec.PermissionSet("static", grants));
    }

    /** The grants an instance's account holds in its implementors' RCBs, by implementor name and grant. */
    public List<AlphaApi.ReplicaGrant> grantsHeld(String idOrName) {
        Records.ReplicaRecord r = record(idOrName);
        java.util.Map<String, String> names = new java.util.HashMap<>();
        List<AlphaApi.ReplicaGrant> result = new ArrayList<>();
        for (RcbAdmin.Held h : RcbAdmin.grantsHeldBy(store, r.accountId())) {
            String name = names.computeIfAbsent(h.replicaId(), id -> store.find(Records.REPLICA, Records.replicaKey(
                    id)).map(v -> v.value().name()).orElse(id));
            var g = h.grant();
            com.fasterxml.jackson.databind.node.ObjectNode params = g.sources().values().stream().filter(
                    java.util.Objects::nonNull).findFirst().orElse(null);
            result.add(new AlphaApi.ReplicaGrant(h.replicaId(), name, g.contract(), g.permission(), g.instanceId(),
                    params, g.sources().keySet().stream().map(x -> x.name().toLowerCase(java.util.Locale.ROOT))
                            .sorted().toList()));
        }
        result.sort(java.util.Comparator.comparing(AlphaApi.ReplicaGrant::implementorName).thenComparing(
                AlphaApi.ReplicaGrant::permission));
        return result;
    }

    // ------------------------------------------------------------------ contracts

    public List<AlphaApi.ContractInfo> contracts() {
        return store.list(RcbAdmin.CONTRACT, "contracts/").stream().map(v -> contractInfo(v.value().manifest()))
                .sorted(java.util.Comparator.comparing(AlphaApi.ContractInfo::identity)).toList();
    }

    public AlphaApi.ContractInfo contract(String identity) {
        if (identity == null || identity.isBlank()) {
            throw new ResideException.InvalidInputException("name the contract by its identity, e.g. "
                    + "localhost:5000/reside/contracts/alpha.v1");
        }
        return store.find(RcbAdmin.CONTRACT, GrantKeys.contractKey(identity)).map(v -> contractInfo(v.value()
                .manifest())).orElseThrow(() -> new ResideException.NotFoundException("the cluster knows no contract "
                        + identity));
    }

    private AlphaApi.ContractInfo contractInfo(ContractManifest m) {
        List<String> implementors = store.find(RcbAdmin.REPLICA_IDS, GrantKeys.implementorsKey(m.identity()))
                .map(v -> List.copyOf(v.value().replicaIds())).orElse(List.of());
        return new AlphaApi.ContractInfo(m.identity(), m, implementors);
    }

    public List<AlphaApi.PermissionInfo> permissions() {
        List<AlphaApi.PermissionInfo> result = new ArrayList<>();
        for (AlphaApi.ContractInfo c : contracts()) {
            c.manifest().permissions().forEach((name, p) -> result.add(new AlphaApi.PermissionInfo(c.identity(), name,
                    p.displayInfo(), p.instanceKeys(), p.params())));
        }
        return result;
    }

    // ------------------------------------------------------------------ grants

    public AlphaApi.SyncResult syncGrants(AlphaApi.SyncGrants request) {
        GrantSource source;
        try {
            source = request.source() == null ? GrantSource.MANUAL : GrantSource.fromJson(request.source());
        } catch (IllegalArgumentException e) {
            throw new ResideException.InvalidInputException("source '" + request.source() + "' is not static, "
                    + "dynamic or manual");
        }
        List<GrantSpec.PermissionSet> sets = new ArrayList<>();
        for (AlphaApi.PermissionSet set : request.sets()) {
            List<GrantSpec> grants = new ArrayList<>();
            for (AlphaApi.GrantSpec g : set.grants()) {
                grants.add(new GrantSpec(g.contract(), g.permission(), g.params() == null
                        ? JsonNodeFactory.instance.objectNode()
                        : g.params(),
                        g.implementors() == null ? List.of()
                                : g.implementors()));
            }
            sets.add(new GrantSpec.PermissionSet(set.name(), grants));
        }
        try {
            RcbAdmin.SyncResult r = store.run(tx -> RcbAdmin.syncGrants(tx, request.grantee(), source, sets));
            return new AlphaApi.SyncResult(r.granted(), r.updated(), r.revoked(), r.withoutImplementor());
        } catch (IllegalArgumentException e) {
            throw new ResideException.InvalidInputException(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ dynamic permissions

    /** A replica asks, for its own account, a permission of a contract it requires. */
    public AlphaApi.PermissionRequest requestPermission(String caller, AlphaApi.RequestPermission request) {
        Records.ReplicaRecord replica = store.list(Records.REPLICA, Records.REPLICAS).stream().map(Versioned::value)
                .filter(r -> r.accountId().equals(caller)).findFirst().orElseThrow(
                        () -> new ResideException.PermissionDeniedException(io.reside.model.error.Problem.of(
                                io.reside.model.error.ErrorCode.PERMISSION_DENIED, "only a replica of this cluster "
                                        + "may request a permission, for its own account")));
        boolean required = replica.manifest().requirements().values().stream()
                .anyMatch(r -> r.identity().equals(request.contract()));
        if (!required) {
            throw new ResideException.InvalidInputException("replica " + replica.name() + " does not require "
                    + request.contract() + ": a replica may ask only for permissions of contracts it requires");
        }
        ContractManifest contract = store.find(RcbAdmin.CONTRACT, GrantKeys.contractKey(request.contract()))
                .map(v -> v.value().manifest()).orElseThrow(() -> new ResideException.InvalidInputException(
                        "the cluster knows no contract " + request.contract()));
        ContractManifest.Permission def = contract.permissions().get(request.permission());
        if (def == null) {
            throw new ResideException.InvalidInputException(request.contract() + " defines no permission '"
                    + request.permission() + "' (it defines: " + String.join(", ", contract.permissions().keySet())
                    + ")");
        }
        ObjectNode params = request.params() == null ? JsonNodeFactory.instance.objectNode() : request.params();
        List<String> problems = PermissionParams.validate(def.params(), params);
        if (!problems.isEmpty()) {
            throw new ResideException.InvalidInputException("invalid params: " + String.join("; ", problems));
        }
        AlphaApi.PermissionRequest created = new AlphaApi.PermissionRequest("pr-" + LoadRequests.random(),
                replica.id(), caller, request.contract(), request.permission(), params, PermissionParams.instanceId(
                        def.instanceKeys(), params),
                request.reason(), "pending", null, Instant.now());
        store.run(tx -> {
            tx.create(Records.PERMISSION_REQUEST, Records.permissionRequestKey(created.id()), created);
            return null;
        });
        return created;
    }

    /** Approves a pending request into the implementors' RCBs (all of an account's approved ones as one set). */
    public AlphaApi.PermissionRequest decide(String caller, AlphaApi.DecidePermissionRequest request) {
        return store.run(tx -> {
            AlphaApi.PermissionRequest r = tx.find(Records.PERMISSION_REQUEST, Records.permissionRequestKey(
                    request.id())).orElseThrow(
                            () -> new ResideException.NotFoundException("there is no permission "
                                    + "request " + request.id()));
            if (!"pending".equals(r.status())) {
                throw new ResideException.NotAllowedInStateException("permission request " + r.id() + " is "
                        + r.status() + " already");
            }
            AlphaApi.PermissionRequest decided = new AlphaApi.PermissionRequest(r.id(), r.replicaId(), r.accountId(),
                    r.contract(), r.permission(), r.params(), r.instanceId(), r.reason(), request.approve()
                            ? "approved"
                            : "rejected",
                    caller, r.createdAt());
            tx.put(Records.PERMISSION_REQUEST, Records.permissionRequestKey(r.id()), decided);
            if (request.approve()) {
                syncDynamic(tx, r.accountId(), decided);
            }
            return decided;
        });
    }

    private static void syncDynamic(Tx tx, String account, AlphaApi.PermissionRequest justApproved) {
        List<GrantSpec> grants = new ArrayList<>();
        for (Versioned<AlphaApi.PermissionRequest> v : tx.list(Records.PERMISSION_REQUEST,
                Records.PERMISSION_REQUESTS)) {
            AlphaApi.PermissionRequest p = v.value().id().equals(justApproved.id()) ? justApproved : v.value();
            if (p.accountId().equals(account) && "approved".equals(p.status())) {
                grants.add(new GrantSpec(p.contract(), p.permission(), p.params(), List.of()));
            }
        }
        RcbAdmin.syncGrants(tx, account, GrantSource.DYNAMIC, List.of(new GrantSpec.PermissionSet("dynamic", grants)));
    }

    public List<AlphaApi.PermissionRequest> permissionRequests() {
        return store.list(Records.PERMISSION_REQUEST, Records.PERMISSION_REQUESTS).stream().map(Versioned::value)
                .toList();
    }

    // ------------------------------------------------------------------ super-admin claim

    /** Grants every permission of alpha.v1 to the caller, once, for the right code. */
    public AlphaApi.Claimed claim(String caller, AlphaApi.ClaimSuperAdminAccess request) {
        List<String> permissions = Bootstrap.superAdminPermissions();
        String contract = Contracts.of(AlphaApi.class).identity();
        store.run(tx -> {
            Records.Claim claim = tx.find(Records.CLAIM, Records.CLAIM_KEY).orElse(null);
            boolean codeMatches = claim != null && MessageDigest.isEqual(
                    io.reside.security.Encoding.utf8(claim.codeHash()),
                    io.reside.security.Encoding.utf8(Bootstrap.hash(request.code())));
            if (claim == null || claim.claimedBy() != null || !codeMatches) {
                throw new ResideException.PermissionDeniedException(io.reside.model.error.Problem.of(
                        io.reside.model.error.ErrorCode.PERMISSION_DENIED, "the super-admin claim code is wrong, or "
                                + "was used already: it is good for one claim"));
            }
            tx.put(Records.CLAIM, Records.CLAIM_KEY, new Records.Claim(claim.codeHash(), caller, Instant.now()));
            List<GrantSpec> grants = permissions.stream().map(p -> new GrantSpec(contract, p,
                    JsonNodeFactory.instance.objectNode(), List.of(Records.ALPHA_ID))).toList();
            RcbAdmin.syncGrants(tx, caller, GrantSource.MANUAL, List.of(new GrantSpec.PermissionSet("super-admin",
                    grants)));
            return null;
        });
        LOG.infof("super-admin access claimed by %s", caller);
        try {
            runtime.deleteClaimCode(); // used: nothing to read any more (Alpha's next start removes it otherwise)
        } catch (RuntimeException e) {
            LOG.warnf("cannot remove the used claim code from %s: %s", runtime.claimCodeLocation(), e.getMessage());
        }
        return new AlphaApi.Claimed(caller, permissions);
    }
}
