package io.reside.usermanager;

import java.util.List;

import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.reside.contracts.usermanager.v1.UserManagerApi;

/**
 * user-manager.v1, served. {@code @Requires} on the contract is enforced by the platform before a method runs; the
 * checks that depend on the object (the realm of a user) are made in {@link Users}.
 */
public class UserManagerResource implements UserManagerApi {

    @Inject
    SecurityIdentity identity;

    @Inject
    Users users;

    private String caller() {
        return identity.getPrincipal().getName();
    }

    @Override
    public User register() {
        return users.register(caller());
    }

    @Override
    public User createUser(CreateUser request) {
        return users.createUser(caller(), request);
    }

    @Override
    public User getUser(String id) {
        return users.get(caller(), id);
    }

    @Override
    public User findUserByAccount(String accountId) {
        return users.findByAccount(caller(), accountId);
    }

    @Override
    public Page<User> listUsers(String realm, String after, Integer limit) {
        return users.list(caller(), realm, after, limit);
    }

    @Override
    public Me getMe() {
        return users.me(caller());
    }

    @Override
    public Delegation impersonate(Impersonate request) {
        return users.impersonate(caller(), request);
    }

    @Override
    public Page<Impersonation> listImpersonations(String userId, String after, Integer limit) {
        return users.impersonations(userId, after, limit);
    }

    @Override
    public UserGrant grantPermission(GrantPermission request) {
        return users.grant(request);
    }

    @Override
    public List<UserGrant> revokePermission(GrantPermission request) {
        return users.revoke(request);
    }

    @Override
    public List<UserGrant> listUserGrants(String userId) {
        return users.grantsOf(userId);
    }

    @Override
    public List<PermissionSet> setDefaultPermissions(SetDefaultPermissions request) {
        return users.setDefaults(request);
    }

    @Override
    public List<PermissionSet> getDefaultPermissions() {
        return users.getDefaults();
    }

    @Override
    public Realm getRealm(String name) {
        return users.realm(caller(), name);
    }

    @Override
    public List<Realm> listRealms() {
        return users.realms(caller());
    }

    @Override
    public Realm updateRealm(UpdateRealm request) {
        return users.updateRealm(request);
    }
}
