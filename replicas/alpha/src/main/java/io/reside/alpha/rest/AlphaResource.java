package io.reside.alpha.rest;

import java.util.List;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.alpha.service.Cluster;
import io.reside.alpha.service.LoadRequests;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.model.error.ResideException;
import io.reside.runtime.PermissionChecks;

/**
 * alpha.v1, served. {@code @Requires} on the contract is enforced by the platform before a method runs; the rules
 * that depend on the caller (an owner sees their own load requests) are checked here.
 */
public class AlphaResource implements AlphaApi {

    @Inject
    SecurityIdentity identity;

    @Inject
    PermissionChecks permissions;

    @Inject
    LoadRequests loadRequests;

    @Inject
    Cluster cluster;

    private String caller() {
        return identity.getPrincipal().getName();
    }

    private boolean holds(String permission) {
        return permissions.isGranted(caller(), AlphaApi.class, permission, null);
    }

    @Override
    public LoadRequest createLoadRequest(CreateLoadRequest request) {
        if (request.ownerId() != null && !request.ownerId().equals(caller()) && !holds("load-request:approve")) {
            throw PermissionChecks.denied(io.reside.runtime.Contracts.of(AlphaApi.class).identity(),
                    "load-request:approve", null);
        }
        return loadRequests.create(caller(), request);
    }

    @Override
    public LoadRequest getLoadRequest(String id) {
        if (id == null || id.isBlank()) {
            throw new ResideException.InvalidInputException("id is required: the load request's id (lr-...)");
        }
        LoadRequest r = loadRequests.get(id);
        if (!r.owner().equals(caller()) && !holds("load-request:read:all")) {
            // the same answer as for a request that does not exist: nobody learns others' ids
            throw new ResideException.NotFoundException("there is no load request " + id);
        }
        return r;
    }

    @Override
    public List<LoadRequest> listLoadRequests() {
        boolean all = holds("load-request:read:all");
        return loadRequests.list().stream().filter(r -> all || r.owner().equals(caller())).toList();
    }

    @Override
    public Approval approveLoadRequest(ApproveLoadRequest request) {
        return loadRequests.approve(caller(), request);
    }

    @Override
    public LoadRequest rejectLoadRequest(RejectLoadRequest request) {
        return loadRequests.reject(caller(), request);
    }

    @Override
    public List<Replica> listReplicas() {
        return cluster.replicas();
    }

    @Override
    public Replica getReplica(String idOrName) {
        return cluster.replica(idOrName);
    }

    @Override
    public List<Version> listVersions(String replicaId) {
        return cluster.versions(replicaId);
    }

    @Override
    public Replica setReplicaEnabled(SetReplicaEnabled request) {
        return cluster.setEnabled(request);
    }

    @Override
    public Replica setPlacementGroup(SetPlacementGroup request) {
        return cluster.setPlacementGroup(request);
    }

    @Override
    public Replica unloadReplica(UnloadReplica request) {
        return cluster.unload(request);
    }

    @Override
    public Version rollbackReplica(RollbackReplica request) {
        return cluster.rollback(request);
    }

    @Override
    public List<ReplicaGrant> getReplicaGrants(String replicaId) {
        return cluster.grantsHeld(replicaId);
    }

    @Override
    public List<ContractInfo> listContracts() {
        return cluster.contracts();
    }

    @Override
    public ContractInfo getContract(String identity) {
        return cluster.contract(identity);
    }

    @Override
    public List<PermissionInfo> listPermissions() {
        return cluster.permissions();
    }

    @Override
    public SyncResult syncGrants(SyncGrants request) {
        return cluster.syncGrants(request);
    }

    @Override
    public ReplicaEndpoints getUserManager() {
        return cluster.userManager();
    }

    @Override
    public List<MyGrant> getMyGrants() {
        return permissions.grantsOf(caller()).stream().map(g -> new MyGrant(g.contract(), g.permission(),
                g.instanceId(), g.params(), g.state().name().toLowerCase(java.util.Locale.ROOT), g.error())).toList();
    }

    @Override
    public PermissionRequest requestPermission(RequestPermission request) {
        return cluster.requestPermission(caller(), request);
    }

    @Override
    public PermissionRequest decidePermissionRequest(DecidePermissionRequest request) {
        return cluster.decide(caller(), request);
    }

    @Override
    public List<PermissionRequest> listPermissionRequests() {
        boolean all = holds("permission-request:decide");
        return cluster.permissionRequests().stream().filter(r -> all || r.accountId().equals(caller())).toList();
    }

    @Override
    public Claimed claimSuperAdminAccess(ClaimSuperAdminAccess request) {
        return cluster.claim(caller(), request);
    }
}
