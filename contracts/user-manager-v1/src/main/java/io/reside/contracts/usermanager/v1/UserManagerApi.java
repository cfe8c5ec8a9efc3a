package io.reside.contracts.usermanager.v1;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
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
import io.reside.model.manifest.DisplayText;

/**
 * The User Manager's contract (SPEC 6.2): people as first-class actors. Users are unmanaged (an account with its own
 * key that {@code register}s) or managed ({@code createUser}: no key, the User Manager is their identity authority and
 * acts for them through short-lived delegations, {@code impersonate}). Every user is in a realm; permissions are given
 * to users one by one ({@code grantPermission}) or to everyone as default sets, and the User Manager keeps them
 * written for the implementing replicas through Alpha's {@code syncGrants}.
 */
@Contract(
        name = "user-manager",
        version = 1,
        displayInfo = @DisplayInfo(
                en = @Text(title = "User Manager", description = "People, realms, their permissions and delegations"),
                ru = @Text(title = "Менеджер пользователей", description = "Люди, области, их права и делегирование")))
@Permission(
        name = "user:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See all users", description = "See every user and the delegations issued"),
                ru = @Text(
                        title = "Все пользователи",
                        description = "Просмотр всех пользователей и выданных делегирований")))
@Permission(
        name = "user:read:realm",
        params = UserManagerApi.RealmScope.class,
        instanceKeys = "realm",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See users of {realm}", description = "See the users of realm {realm}"),
                ru = @Text(title = "Пользователи {realm}", description = "Просмотр пользователей области {realm}")))
@Permission(
        name = "user:create:realm",
        params = UserManagerApi.RealmScope.class,
        instanceKeys = "realm",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Create users in {realm}", description = "Create managed users in realm {realm}"),
                ru = @Text(title = "Создание в {realm}", description = "Создание управляемых пользователей в {realm}")))
@Permission(
        name = "user:impersonate:realm",
        params = UserManagerApi.RealmScope.class,
        instanceKeys = "realm",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Act as users of {realm}", description = "Act as managed users of realm {realm}"),
                ru = @Text(
                        title = "Действовать за {realm}",
                        description = "Действовать от имени пользователей {realm}")))
@Permission(
        name = "user:permission:manage:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Manage user permissions", description = "Give and take permissions of any user"),
                ru = @Text(
                        title = "Права пользователей",
                        description = "Выдавать и отзывать права любых пользователей")))
@Permission(
        name = "default-permissions:read",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See default permissions", description = "See what every user is given"),
                ru = @Text(title = "Права по умолчанию", description = "Просмотр прав, которые есть у всех")))
@Permission(
        name = "default-permissions:manage",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Set default permissions", description = "Change what every user is given"),
                ru = @Text(title = "Изменение прав по умолчанию", description = "Изменять права, которые есть у всех")))
@Permission(
        name = "realm:read:all",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See all realms", description = "See every realm"),
                ru = @Text(title = "Все области", description = "Просмотр всех областей")))
@Permission(
        name = "realm:read",
        params = UserManagerApi.RealmName.class,
        instanceKeys = "name",
        displayInfo = @DisplayInfo(
                en = @Text(title = "See realm {name}", description = "See realm {name}"),
                ru = @Text(title = "Область {name}", description = "Просмотр области {name}")))
@Permission(
        name = "realm:manage",
        params = UserManagerApi.RealmName.class,
        instanceKeys = "name",
        displayInfo = @DisplayInfo(
                en = @Text(title = "Manage realm {name}", description = "Change the texts and openness of {name}"),
                ru = @Text(title = "Управление {name}", description = "Изменение описания и открытости {name}")))
@Path("/rpc/user-manager.v1")
public interface UserManagerApi {

    /** A realm name: 1 to 63 lower-case letters, digits and dashes. */
    String REALM_NAME = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** The realm every user with a key of their own is in; it exists from the start, open. */
    String DEFAULT_REALM = "default";

    // ------------------------------------------------------------------ permission params

    /** The params of the realm-scoped user permissions. */
    record RealmScope(@NotBlank @Pattern(regexp = REALM_NAME) String realm) {
    }

    /** The params of {@code realm:read} and {@code realm:manage}. */
    record RealmName(@NotBlank @Pattern(regexp = REALM_NAME) String name) {
    }

    // ------------------------------------------------------------------ data

    /**
     * A person.
     *
     * @param id the user's id ({@code u-...})
     * @param accountId the account the user acts as (a managed user's has no key)
     * @param managed whether the User Manager is its identity authority (created by {@code createUser})
     */
    record User(String id, String accountId, String realm, String name, boolean managed, Instant createdAt) {
    }

    /**
     * @param displayInfo language → title and description
     * @param open whether anyone may {@code register} into it (only {@code default} takes keyed users today)
     */
    record Realm(String name, Map<String, DisplayText> displayInfo, boolean open, Instant createdAt) {
    }

    /** One permission to give, as a user grant or in a default set. */
    record GrantSpec(@NotBlank @Size(max = 300) String contract, @NotBlank @Size(max = 200) String permission,
            ObjectNode params) {
    }

    record PermissionSet(@NotBlank @Size(max = 100) String name,
            @NotNull @Size(max = 200) List<@Valid GrantSpec> grants) {
    }

    /**
     * A grant a user has, and why.
     *
     * @param via {@code own} (given to the user), {@code default:<set>} (a default set), {@code super-admin}
     * @param instanceId the instance it is for, or null
     */
    record UserGrant(String contract, String permission, ObjectNode params, String instanceId, String via) {
    }

    /** The caller's user with its effective grants (own and default sets). */
    record Me(User user, List<UserGrant> grants) {
    }

    record Page<T>(List<T> items, String next) {
    }

    /**
     * A delegation token: the audience may accept calls by {@code actor} made as {@code userId} until
     * {@code expiresAt}.
     */
    record Delegation(String token, String userId, String accountId, String actor, String audience,
            Instant expiresAt) {
    }

    /** One issued delegation, as the audit log keeps it (never the token). */
    record Impersonation(String id, String actor, String userId, String accountId, String audience,
            Instant issuedAt, Instant expiresAt) {
    }

    // ------------------------------------------------------------------ requests

    /**
     * @param publicKey for a person who holds a key of their own (base64url Ed25519, as {@code reside account create}
     *        prints it): the user is unmanaged, acts as the account of that key, and must be in an open realm
     *        ({@code default}); without it, a managed user (no key: the User Manager acts for it)
     */
    record CreateUser(@NotBlank @Pattern(regexp = REALM_NAME) String realm,
            @NotBlank @Size(max = 100) String name, @Size(max = 64) String publicKey) {

        /** A managed user. */
        public CreateUser(String realm, String name) {
            this(realm, name, null);
        }
    }

    record Impersonate(@NotBlank String userId, @NotBlank @Size(max = 100) String audience) {
    }

    record GrantPermission(@NotBlank String userId, @NotBlank @Size(max = 300) String contract,
            @NotBlank @Size(max = 200) String permission, ObjectNode params) {
    }

    record SetDefaultPermissions(@NotNull @Size(max = 50) List<@Valid PermissionSet> sets) {
    }

    record UpdateRealm(@NotBlank @Pattern(regexp = REALM_NAME) String name, Map<String, DisplayText> displayInfo,
            Boolean open) {
    }

    // ------------------------------------------------------------------ users

    @POST
    @Path("register")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Register", description = "Become a user of realm default (idempotent)"),
                    ru = @Text(title = "Регистрация", description = "Стать пользователем области default")))
    User register();

    @POST
    @Path("createUser")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(
                            title = "Create a user",
                            description = "A managed user in a realm, or a person with a key of their own"),
                    ru = @Text(
                            title = "Создать пользователя",
                            description = "Управляемый пользователь области или человек со своим ключом")))
    @Requires(value = "user:create:realm", instance = "request.realm")
    User createUser(@Valid CreateUser request);

    @GET
    @Path("getUser")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "A user", description = "Needs user:read:all or user:read:realm of its realm"),
                    ru = @Text(title = "Пользователь", description = "Нужно user:read:all или user:read:realm")))
    User getUser(@QueryParam("id") @NotBlank String id);

    @GET
    @Path("findUserByAccount")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "A user by account", description = "The user an account is"),
                    ru = @Text(title = "Пользователь по аккаунту", description = "Пользователь данного аккаунта")))
    User findUserByAccount(@QueryParam("accountId") @NotBlank String accountId);

    @GET
    @Path("listUsers")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Users", description = "Users of a realm, or of all realms, by pages"),
                    ru = @Text(title = "Пользователи", description = "Пользователи области или всех, постранично")))
    Page<User> listUsers(@QueryParam("realm") String realm, @QueryParam("after") String after,
            @QueryParam("limit") @Min(1) @Max(500) Integer limit);

    @GET
    @Path("getMe")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Me", description = "The caller's user and its effective grants"),
                    ru = @Text(title = "Я", description = "Свой пользователь и действующие права")))
    Me getMe();

    @POST
    @Path("impersonate")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Act as a user", description = "A short-lived delegation for a managed user"),
                    ru = @Text(title = "Действовать за пользователя", description = "Краткосрочное делегирование")))
    Delegation impersonate(@Valid Impersonate request);

    @GET
    @Path("listImpersonations")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Delegations issued", description = "Who acted as whom, newest first"),
                    ru = @Text(title = "Выданные делегирования", description = "Кто действовал за кого")))
    @Requires("user:read:all")
    Page<Impersonation> listImpersonations(@QueryParam("userId") String userId, @QueryParam("after") String after,
            @QueryParam("limit") @Min(1) @Max(500) Integer limit);

    // ------------------------------------------------------------------ grants to people

    @POST
    @Path("grantPermission")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Give a permission", description = "Give a user a permission of a contract"),
                    ru = @Text(title = "Выдать право", description = "Выдать пользователю право контракта")))
    @Requires("user:permission:manage:all")
    UserGrant grantPermission(@Valid GrantPermission request);

    @POST
    @Path("revokePermission")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Take a permission", description = "Take a permission back from a user"),
                    ru = @Text(title = "Отозвать право", description = "Отозвать у пользователя право")))
    @Requires("user:permission:manage:all")
    List<UserGrant> revokePermission(@Valid GrantPermission request);

    @GET
    @Path("listUserGrants")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "A user's permissions", description = "Own grants and default sets of a user"),
                    ru = @Text(title = "Права пользователя", description = "Свои права и наборы по умолчанию")))
    @Requires("user:permission:manage:all")
    List<UserGrant> listUserGrants(@QueryParam("userId") @NotBlank String userId);

    @POST
    @Path("setDefaultPermissions")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Set default permissions", description = "The sets every user is given"),
                    ru = @Text(title = "Задать права по умолчанию", description = "Наборы прав для всех")))
    @Requires("default-permissions:manage")
    List<PermissionSet> setDefaultPermissions(@Valid SetDefaultPermissions request);

    @GET
    @Path("getDefaultPermissions")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Default permissions", description = "The sets every user is given"),
                    ru = @Text(title = "Права по умолчанию", description = "Наборы прав для всех")))
    @Requires("default-permissions:read")
    List<PermissionSet> getDefaultPermissions();

    // ------------------------------------------------------------------ realms

    @GET
    @Path("getRealm")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "A realm", description = "Needs realm:read of it or realm:read:all"),
                    ru = @Text(title = "Область", description = "Нужно realm:read или realm:read:all")))
    Realm getRealm(@QueryParam("name") @NotBlank String name);

    @GET
    @Path("listRealms")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Realms", description = "The realms the caller may see"),
                    ru = @Text(title = "Области", description = "Области, доступные вызывающему")))
    List<Realm> listRealms();

    @POST
    @Path("updateRealm")
    @RpcMethod(
            displayInfo = @DisplayInfo(
                    en = @Text(title = "Change a realm", description = "Its texts and whether it is open"),
                    ru = @Text(title = "Изменить область", description = "Описание и открытость")))
    @Requires(value = "realm:manage", instance = "request.name")
    Realm updateRealm(@Valid UpdateRealm request);
}
