package io.reside.contracts.alpha.v1;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.model.annotation.Contract;
import io.reside.model.annotation.DisplayInfo;
import io.reside.model.annotation.Permission;
import io.reside.model.annotation.Requires;
import io.reside.model.annotation.RpcMethod;
import io.reside.model.annotation.Text;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.DisplayText;

/**
 * Alpha's contract (SPEC 6.1): load replicas from images through load requests, see and manage the replicas and
 * their versions, the contracts and permissions of the cluster, the grants written into RCBs, dynamic permission
 * requests, and the one-time claim of super-admin access.
 */
@Contract(
        name = "alpha",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "Alpha", description = "Loads, runs and wires the replicas of the cluster"),
                ru = @Text(title = "Альфа", description = "Загружает, запускает и связывает реплики кластера")))
@Permission(
        name = "replica:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See replicas", description = "See replicas, versions, contracts and permissions"),
                ru = @Text(title = "Просмотр реплик", description = "Просмотр реплик, версий, контрактов и прав")))
@Permission(
        name = "replica:manage:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Manage replicas", description = "Enable, disable, roll back and unload replicas"),
                ru = @Text(title = "Управление репликами", description = "Включение, откат и выгрузка реплик")))
@Permission(
        name = "load-request:create",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Request loads", description = "Ask Alpha to load or update a replica"),
                ru = @Text(title = "Запрос загрузки", description = "Просить Альфу загрузить или обновить реплику")))
@Permission(
        name = "load-request:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See all load requests", description = "See everyone's load requests"),
                ru = @Text(title = "Все запросы загрузки", description = "Просмотр запросов загрузки всех")))
@Permission(
        name = "load-request:approve",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Approve loads", description = "Approve or reject load requests"),
                ru = @Text(title = "Одобрение загрузки", description = "Одобрять и отклонять запросы загрузки")))
@Permission(
        name = "rcb:manage:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Manage grants", description = "Write the expected grants of any RCB"),
                ru = @Text(title = "Управление правами", description = "Записывать ожидаемые права в любые RCB")))
@Permission(
        name = "permission-request:decide",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Decide permission requests", description = "Approve or reject what replicas ask"),
                ru = @Text(title = "Решения по запросам прав", description = "Одобрять и отклонять запросы реплик")))
@Path("/rpc/alpha.v1")
public interface AlphaApi {

    // ------------------------------------------------------------------ load requests

    /**
     * @param image {@code identity[:tag][@digest]}
     * @param name the technical name wanted for a new instance (default: the replica's own name)
     * @param replicaId an instance to update with this image
     * @param ownerId the account the request is made for (default: the caller)
     */
    record CreateLoadRequest(@NotBlank @Size(max = 512) String image, @Size(max = 63) String name,
            @Size(max = 64) String replicaId, @Size(max = 64) String ownerId) {
    }

    /** An instance that implements a required contract, as a load request offers it. */
    record Candidate(String replicaId, String name) {
    }

    /** One requirement of the replica to load, with the implementors to choose from and the ones chosen. */
    record PlannedRequirement(String contract, boolean optional, boolean multiple, List<Candidate> candidates,
            List<String> chosen) {
    }

    /** A static permission the replica asks for, with {@code {replica.name}} substituted. */
    record PlannedPermission(String requirement, String contract, String permission, ObjectNode params,
            String instanceId) {
    }

    /**
     * What approval would do.
     *
     * @param update whether an existing instance gets a new version
     * @param replicaId the instance updated, or null for a new one
     */
    record Plan(boolean update, String replicaId, String name, String identity, String image, String digest,
            String replicaClass, boolean exclusive, boolean scalable, Map<String, PlannedRequirement> requirements,
            List<PlannedPermission> permissions, List<String> implementations) {
    }

    /**
     * A load request; {@code status} is validating, invalid, requires-approval, approved or rejected.
     *
     * @param error why it is invalid, saying what to do
     */
    record LoadRequest(String id, String status, String image, String owner, String requestedName, String replicaId,
            Plan plan, String error, String rejectionReason, Instant createdAt, Instant updatedAt) {
    }

    /** @param requirementReplicaIds requirement key → the implementors chosen instead of the plan's */
    record ApproveLoadRequest(@NotBlank String id, Map<String, List<String>> requirementReplicaIds) {
    }

    record RejectLoadRequest(@NotBlank String id, @Size(max = 1000) String reason) {
    }

    record Approval(LoadRequest loadRequest, Version version) {
    }

    @POST
    @Path("createLoadRequest")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Request a load", description = "Load or update a replica from an image"),
                    ru = @Text(title = "Запросить загрузку", description = "Загрузить или обновить реплику из образа")))
    @Requires("load-request:create")
    LoadRequest createLoadRequest(@Valid CreateLoadRequest request);

    @GET
    @Path("getLoadRequest")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Load request", description = "Its owner's, or with load-request:read:all"),
                    ru = @Text(title = "Запрос загрузки", description = "Свой, или с load-request:read:all")))
    LoadRequest getLoadRequest(@QueryParam("id") String id);

    @GET
    @Path("listLoadRequests")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Load requests", description = "Own ones, or all with load-request:read:all"),
                    ru = @Text(title = "Запросы загрузки", description = "Свои, или все с load-request:read:all")))
    List<LoadRequest> listLoadRequests();

    @POST
    @Path("approveLoadRequest")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Approve a load", description = "Create the version and start it"),
                    ru = @Text(title = "Одобрить загрузку", description = "Создать версию и запустить её")))
    @Requires("load-request:approve")
    Approval approveLoadRequest(@Valid ApproveLoadRequest request);

    @POST
    @Path("rejectLoadRequest")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Reject a load", description = "Nothing is loaded"),
                    ru = @Text(title = "Отклонить загрузку", description = "Ничего не загружается")))
    @Requires("load-request:approve")
    LoadRequest rejectLoadRequest(@Valid RejectLoadRequest request);

    // ------------------------------------------------------------------ replicas and versions

    record Info(String name, String replicaClass, boolean exclusive, boolean scalable) {
    }

    /**
     * One loaded image of an instance; {@code status} is starting, running, degraded, running-outdated, completed,
     * stopping, stopped or error.
     *
     * @param requirements requirement key → the implementors chosen
     */
    record Version(String replicaId, int id, String status, String statusMessage, String image, String digest,
            Map<String, List<String>> requirements, List<String> implementations, Instant createdAt) {
    }

    record Replica(String id, String name, String identity, Info info, Map<String, DisplayText> displayInfo,
            String accountId, boolean enabled, String placementGroup, int currentVersionId,
            Map<String, String> endpoints, Version currentVersion) {
    }

    record SetReplicaEnabled(@NotBlank String id, boolean enabled) {
    }

    record SetPlacementGroup(@NotBlank String id, @Size(max = 63) String placementGroup) {
    }

    record UnloadReplica(@NotBlank String id) {
    }

    record RollbackReplica(@NotBlank String id, @Min(1) int versionId) {
    }

    @GET
    @Path("listReplicas")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Replicas", description = "Every instance and its current version"),
                    ru = @Text(title = "Реплики", description = "Все экземпляры и их текущие версии")))
    @Requires("replica:read:all")
    List<Replica> listReplicas();

    @GET
    @Path("getReplica")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Replica", description = "One instance, by id or name"),
                    ru = @Text(title = "Реплика", description = "Один экземпляр, по id или имени")))
    @Requires("replica:read:all")
    Replica getReplica(@QueryParam("idOrName") String idOrName);

    @GET
    @Path("listVersions")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Versions", description = "Every version of an instance"),
                    ru = @Text(title = "Версии", description = "Все версии экземпляра")))
    @Requires("replica:read:all")
    List<Version> listVersions(@QueryParam("replicaId") String replicaId);

    /**
     * A grant an instance holds on one of its implementors.
     *
     * @param sources where it comes from: static (its manifest, at approval), dynamic (asked and approved), manual
     */
    record ReplicaGrant(String implementorId, String implementorName, String contract, String permission,
            String instanceId, ObjectNode params, List<String> sources) {
    }

    @GET
    @Path("getReplicaGrants")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Replica's grants", description = "What an instance may do on the others"),
                    ru = @Text(title = "Права реплики", description = "Что экземпляру можно у других")))
    @Requires("replica:read:all")
    List<ReplicaGrant> getReplicaGrants(@QueryParam("replicaId") String replicaId);

    @POST
    @Path("setReplicaEnabled")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Enable or disable", description = "Stop or start an instance's workload"),
                    ru = @Text(title = "Включить или выключить", description = "Остановить или запустить экземпляр")))
    @Requires("replica:manage:all")
    Replica setReplicaEnabled(@Valid SetReplicaEnabled request);

    @POST
    @Path("setPlacementGroup")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Placement", description = "Where an instance runs (a node selector)"),
                    ru = @Text(title = "Размещение", description = "Где работает экземпляр (выбор узлов)")))
    @Requires("replica:manage:all")
    Replica setPlacementGroup(@Valid SetPlacementGroup request);

    @POST
    @Path("unloadReplica")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Unload", description = "Remove an instance, its account and its grants"),
                    ru = @Text(title = "Выгрузить", description = "Удалить экземпляр, его учётную запись и права")))
    @Requires("replica:manage:all")
    Replica unloadReplica(@Valid UnloadReplica request);

    @POST
    @Path("rollbackReplica")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Roll back", description = "A new version from an earlier version's image"),
                    ru = @Text(title = "Откатить", description = "Новая версия из образа прежней версии")))
    @Requires("replica:manage:all")
    Version rollbackReplica(@Valid RollbackReplica request);

    /**
     * Where a replica answers: what a client needs to call it (its account, whose key must sign the answers, and its
     * endpoints by access context).
     */
    record ReplicaEndpoints(String replicaId, String name, String accountId, Map<String, String> endpoints) {
    }

    @GET
    @Path("getUserManager")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "User Manager", description = "Where the cluster's User Manager answers"),
                    ru = @Text(
                            title = "Менеджер пользователей",
                            description = "Где отвечает менеджер пользователей")))
    // any caller: a person's client must find the User Manager to learn what it may do (no replica:read:all needed)
    ReplicaEndpoints getUserManager();

    // ------------------------------------------------------------------ contracts and permissions

    record ContractInfo(String identity, ContractManifest manifest, List<String> implementors) {
    }

    record PermissionInfo(String contract, String permission, Map<String, DisplayText> displayInfo,
            List<String> instanceKeys, ObjectNode paramsSchema) {
    }

    @GET
    @Path("listContracts")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Contracts", description = "Every contract the cluster knows"),
                    ru = @Text(title = "Контракты", description = "Все известные кластеру контракты")))
    @Requires("replica:read:all")
    List<ContractInfo> listContracts();

    @GET
    @Path("getContract")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Contract", description = "One contract, by identity"),
                    ru = @Text(title = "Контракт", description = "Один контракт, по идентичности")))
    @Requires("replica:read:all")
    ContractInfo getContract(@QueryParam("identity") String identity);

    @GET
    @Path("listPermissions")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Permissions", description = "Every permission of every known contract"),
                    ru = @Text(title = "Права", description = "Все права всех известных контрактов")))
    @Requires("replica:read:all")
    List<PermissionInfo> listPermissions();

    // ------------------------------------------------------------------ grants

    /** @param implementors the replicas whose RCBs get the grant; empty: every implementor of the contract */
    record GrantSpec(@NotBlank String contract, @NotBlank String permission, ObjectNode params,
            List<String> implementors) {
    }

    record PermissionSet(@NotBlank String name, @NotNull List<@Valid GrantSpec> grants) {
    }

    /** @param source static, dynamic or manual (default manual) */
    record SyncGrants(@NotBlank String grantee, String source, @NotNull List<@Valid PermissionSet> sets) {
    }

    record SyncResult(int granted, int updated, int revoked, List<String> withoutImplementor) {
    }

    /** A grant of the caller on Alpha; {@code state} is current, updating, pending, revoking or revoked. */
    record MyGrant(String contract, String permission, String instanceId, ObjectNode params, String state,
            String error) {
    }

    @POST
    @Path("syncGrants")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Sync grants",
                            description = "Make a grantee's grants of one source exactly these"),
                    ru = @Text(
                            title = "Синхронизировать права",
                            description = "Сделать права получателя ровно такими")))
    @Requires("rcb:manage:all")
    SyncResult syncGrants(@Valid SyncGrants request);

    @GET
    @Path("getMyGrants")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "My grants", description = "The caller's own grants on Alpha"),
                    ru = @Text(title = "Мои права", description = "Права вызывающего в Альфе")))
    List<MyGrant> getMyGrants();

    // ------------------------------------------------------------------ dynamic permissions

    record RequestPermission(@NotBlank String contract, @NotBlank String permission, ObjectNode params,
            @Size(max = 1000) String reason) {
    }

    /** A permission a replica asked for at run time; {@code status} is pending, approved or rejected. */
    record PermissionRequest(String id, String replicaId, String accountId, String contract, String permission,
            ObjectNode params, String instanceId, String reason, String status, String decidedBy, Instant createdAt) {
    }

    record DecidePermissionRequest(@NotBlank String id, boolean approve) {
    }

    @POST
    @Path("requestPermission")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Request a permission",
                            description = "A replica asks for a permission for itself"),
                    ru = @Text(title = "Запросить право", description = "Реплика просит право для себя")))
    PermissionRequest requestPermission(@Valid RequestPermission request);

    @POST
    @Path("decidePermissionRequest")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Decide a permission request",
                            description = "Grant or refuse what a replica asked"),
                    ru = @Text(title = "Решить запрос права", description = "Выдать или отказать в запрошенном праве")))
    @Requires("permission-request:decide")
    PermissionRequest decidePermissionRequest(@Valid DecidePermissionRequest request);

    @GET
    @Path("listPermissionRequests")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Permission requests",
                            description = "Own ones, or all with permission-request:decide"),
                    ru = @Text(title = "Запросы прав", description = "Свои, или все с permission-request:decide")))
    List<PermissionRequest> listPermissionRequests();

    // ------------------------------------------------------------------ bootstrap

    record ClaimSuperAdminAccess(@NotBlank @Size(max = 128) String code) {
    }

    /** @param granted the permissions of alpha.v1 now granted to the caller */
    record Claimed(String accountId, List<String> granted) {
    }

    @POST
    @Path("claimSuperAdminAccess")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Claim super-admin access", description = "Once, with the cluster's claim code"),
                    ru = @Text(title = "Получить права суперадмина", description = "Один раз, с кодом кластера")))
    Claimed claimSuperAdminAccess(@Valid ClaimSuperAdminAccess request);
}
