package io.reside.usermanager;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.AlreadyExistsException;
import io.reside.etcd.Store;
import io.reside.etcd.Tx;
import io.reside.etcd.Versioned;
import io.reside.model.error.ResideException;
import io.reside.model.manifest.DisplayText;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.Contracts;
import io.reside.runtime.PermissionChecks;
import io.reside.runtime.ReplicaRuntime;
import io.reside.runtime.ReplicaStarted;
import io.reside.security.AccountRegistry;
import io.reside.security.Delegations;

/**
 * The users, realms, grants to people, default sets and the delegation audit log, in etcd under {@code um/}. Every
 * change is one transaction; the grants reach the implementing replicas through {@link GrantSync}.
 */
@ApplicationScoped
public class Users {

    private static final Logger LOG = Logger.getLogger(Users.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String OWN = "own";
    static final String SUPER_ADMIN = "super-admin";

    @Inject
    Store store;

    @Inject
    PermissionChecks checks;

    @Inject
    ReplicaRuntime runtime;

    @Inject
    GrantSync sync;

    private static String contract() {
        return Contracts.of(UserManagerApi.class).identity();
    }

    private boolean holds(String caller, String permission, String instance) {
        return checks.isGranted(caller, contract(), permission, instance);
    }

    private static String newId(String prefix) {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }

    /** Realm {@code default} exists from the start, open. */
    void started(@Observes ReplicaStarted started) {
        store.run(tx -> {
            ensureRealm(tx, UserManagerApi.DEFAULT_REALM, true);
            return null;
        });
    }

    private static void ensureRealm(Tx tx, String name, boolean open) {
        if (tx.find(Records.REALM, Records.realmKey(name)).isEmpty()) {
            tx.put(Records.REALM, Records.realmKey(name), new Records.RealmRecord(name, Map.of(
                    "en", new DisplayText(name, "Realm " + name), "ru", new DisplayText(name, "Область " + name)),
                    open, Instant.now()));
        }
    }

    // ------------------------------------------------------------------ users

    public UserManagerApi.User register(String caller) {
        AccountRegistry registry = runtime.registry().orElseThrow();
        AccountRegistry.Account account = registry.find(caller).orElseThrow(
                () -> new ResideException.NotAllowedInStateException("account " + caller + " is not registered"));
        return store.run(tx -> {
            Optional<String> existing = Records.BY_ACCOUNT.find(tx, caller);
            if (existing.isPresent()) {
                return tx.get(Records.USER, Records.userKey(existing.get())).view();
            }
            if (account.kind() == AccountRegistry.Kind.MANAGED_USER) {
                throw new ResideException.NotAllowedInStateException("account " + caller + " is a managed user "
                        + "that the User Manager does not know; managed users are made by createUser");
            }
            ensureRealm(tx, UserManagerApi.DEFAULT_REALM, true);
            String id = newId("u-");
            String wanted = account.name() == null || account.name().isBlank() ? caller : account.name();
            String name = Records.BY_NAME.find(tx, UserManagerApi.DEFAULT_REALM + "/" + wanted).isPresent() ? caller
                    : wanted;
            Records.UserRecord user = new Records.UserRecord(id, caller, UserManagerApi.DEFAULT_REALM, name, false,
                    Instant.now());
            Records.BY_ACCOUNT.claim(tx, caller, id);
            Records.BY_NAME.claim(tx, UserManagerApi.DEFAULT_REALM + "/" + name, id);
            tx.create(Records.USER, Records.userKey(id), user);
            boolean superAdmin = tx.cluster().find(Records.ALPHA_CLAIM, Records.ALPHA_CLAIM_KEY)
                    .map(c -> caller.equals(c.claimedBy())).orElse(false);
            if (superAdmin) {
                tx.put(Records.GRANTS, Records.grantsKey(id), new Records.OwnGrants(id, caller, List.of(),
                        superAdminSets(tx)));
            }
            tx.afterCommit(() -> {
                LOG.infof("registered %s as user %s (realm default)%s", caller, id, superAdmin
                        ? ", the super-admin: it keeps Alpha's super-admin set and gets the User Manager's"
                        : "");
                sync.nudge();
            });
            return user.view();
        });
    }

    public UserManagerApi.User createUser(String caller, UserManagerApi.CreateUser request) {
        if (request.publicKey() != null) {
            return createKeyedUser(caller, request);
        }
        try {
            return store.run(tx -> {
                ensureRealm(tx, request.realm(), false);
                String id = newId("u-");
                Records.BY_NAME.claim(tx, request.realm() + "/" + request.name(), id);
                AccountRegistry.Account account = AccountRegistry.registerManagedUser(tx, request.realm(),
                        request.name());
                Records.BY_ACCOUNT.claim(tx, account.id(), id);
                Records.UserRecord user = new Records.UserRecord(id, account.id(), request.realm(), request.name(),
                        true, Instant.now());
                tx.create(Records.USER, Records.userKey(id), user);
                tx.afterCommit(() -> LOG.infof("created managed user %s (%s) in realm %s for %s", id, account.id(),
                        request.realm(), caller));
                return user.view();
            });
        } catch (AlreadyExistsException e) {
            throw new ResideException.ConflictException("realm " + request.realm() + " already has a user named '"
                    + request.name() + "'");
        }
    }

    /**
     * A person with a key of their own, registered by someone who may create users in the realm: the account of the
     * key (registered here unless it is already) and its unmanaged user, in one transaction. The realm must be open
     * to keyed users (default is); an account that is a user already is a conflict.
     */
    private UserManagerApi.User createKeyedUser(String caller, UserManagerApi.CreateUser request) {
        io.reside.security.PublicKey key;
        try {
            key = io.reside.security.PublicKey.fromBase64url(request.publicKey().trim());
        } catch (IllegalArgumentException e) {
            throw new ResideException.InvalidInputException("publicKey: " + e.getMessage());
        }
        try {
            return store.run(tx -> {
                Optional<Records.RealmRecord> realm = tx.find(Records.REALM, Records.realmKey(request.realm()));
                if (realm.isPresent() ? !realm.get().open() : !request.realm().equals(UserManagerApi.DEFAULT_REALM)) {
                    throw new ResideException.NotAllowedInStateException("realm " + request.realm() + " takes no "
                            + "users with keys of their own (it is not open): use realm default");
                }
                ensureRealm(tx, request.realm(), true);
                Optional<String> existing = Records.BY_ACCOUNT.find(tx, key.accountId());
                if (existing.isPresent()) {
                    throw new ResideException.ConflictException("account " + key.accountId() + " is user "
                            + existing.get() + " already");
                }
                Optional<AccountRegistry.Account> account = tx.cluster().find(AccountRegistry.ACCOUNT,
                        AccountRegistry.key(key
                                .accountId()));
                if (account.isPresent() && account.get().kind() != AccountRegistry.Kind.USER) {
                    throw new ResideException.ConflictException("account " + key.accountId() + " is a "
                            + account.get().kind().json() + " account, not a person's");
                }
                if (account.isEmpty()) {
                    AccountRegistry.register(tx, key, AccountRegistry.Kind.USER, request.name());
                }
                String id = newId("u-");
                Records.BY_NAME.claim(tx, request.realm() + "/" + request.name(), id);
                Records.BY_ACCOUNT.claim(tx, key.accountId(), id);
                Records.UserRecord user = new Records.UserRecord(id, key.accountId(), request.realm(), request.name(),
                        false, Instant.now());
                tx.create(Records.USER, Records.userKey(id), user);
                tx.afterCommit(() -> {
                    LOG.infof("created user %s (%s, a key of its own) in realm %s for %s", id, key.accountId(),
                            request.realm(), caller);
                    sync.nudge();
                });
                return user.view();
            });
        } catch (AlreadyExistsException e) {
            throw new ResideException.ConflictException("realm " + request.realm() + " already has a user named '"
                    + request.name() + "'");
        }
    }

    private Records.UserRecord user(String id) {
        return store.find(Records.USER, Records.userKey(id)).map(Versioned::value)
                .orElseThrow(() -> new ResideException.NotFoundException("there is no user " + id));
    }

    /** The same refusal whether the user exists or not: a caller without the right learns nothing of others. */
    private Records.UserRecord readable(String caller, Optional<Records.UserRecord> user, String what) {
        if (user.isPresent() && (user.get().accountId().equals(caller) || holds(caller, "user:read:all", null)
                || holds(caller, "user:read:realm", user.get().realm()))) {
            return user.get();
        }
        if (user.isEmpty() && holds(caller, "user:read:all", null)) {
            throw new ResideException.NotFoundException("there is no user " + what);
        }
        throw PermissionChecks.denied(contract(), "user:read:all", null);
    }

    public UserManagerApi.User get(String caller, String id) {
        return readable(caller, store.find(Records.USER, Records.userKey(id)).map(Versioned::value), id).view();
    }

    public UserManagerApi.User findByAccount(String caller, String accountId) {
        Optional<Records.UserRecord> user = Records.BY_ACCOUNT.find(store, accountId)
                .flatMap(id -> store.find(Records.USER, Records.userKey(id))).map(Versioned::value);
        return readable(caller, user, "with account " + accountId).view();
    }

    public UserManagerApi.Page<UserManagerApi.User> list(String caller, String realm, String after, Integer limit) {
        if (realm != null && !realm.matches(UserManagerApi.REALM_NAME)) {
            throw new ResideException.InvalidInputException("realm '" + realm + "' is not a realm name");
        }
        if (!holds(caller, "user:read:all", null) && (realm == null || !holds(caller, "user:read:realm", realm))) {
            throw realm == null ? PermissionChecks.denied(contract(), "user:read:all", null)
                    : PermissionChecks.denied(contract(), "user:read:realm", realm);
        }
        int max = limit == null ? 100 : limit;
        List<UserManagerApi.User> page = new ArrayList<>();
        String next = null;
        for (Versioned<Records.UserRecord> v : store.list(Records.USER, Records.USERS)) {
            Records.UserRecord u = v.value();
            if ((after != null && u.id().compareTo(after) <= 0) || (realm != null && !realm.equals(u.realm()))) {
                continue;
            }
            if (page.size() == max) {
                next = page.get(page.size() - 1).id();
                break;
            }
            page.add(u.view());
        }
        return new UserManagerApi.Page<>(page, next);
    }

    public UserManagerApi.Me me(String caller) {
        Records.UserRecord user = Records.BY_ACCOUNT.find(store, caller)
                .flatMap(id -> store.find(Records.USER, Records.userKey(id))).map(Versioned::value)
                .orElseThrow(() -> new ResideException.NotFoundException("account " + caller + " is not a user yet: "
                        + "call register"));
        return new UserManagerApi.Me(user.view(), effective(user.id()));
    }

    /**
     * What the super-admin holds: every permission of alpha.v1 (as Alpha's claim granted them) and every permission of
     * user-manager.v1 that is not scoped to an instance.
     */
    private static List<UserManagerApi.GrantSpec> superAdminSets(Tx tx) {
        List<UserManagerApi.GrantSpec> result = new ArrayList<>();
        String alpha = Contracts.of(AlphaApi.class).identity();
        for (String identity : List.of(alpha, contract())) {
            RcbAdmin.findContract(tx, identity).ifPresent(c -> c.permissions().forEach((name, p) -> {
                if (p.instanceKeys().isEmpty()) {
                    result.add(new UserManagerApi.GrantSpec(identity, name, JsonNodeFactory.instance.objectNode()));
                }
            }));
        }
        return result;
    }

    // ------------------------------------------------------------------ impersonation

    public UserManagerApi.Delegation impersonate(String caller, UserManagerApi.Impersonate request) {
        Records.UserRecord user = store.find(Records.USER, Records.userKey(request.userId())).map(Versioned::value)
                .orElse(null);
        if (user == null) {
            if (holds(caller, "user:read:all", null)) {
                throw new ResideException.NotFoundException("there is no user " + request.userId());
            }
            throw PermissionChecks.denied(contract(), "user:impersonate:realm", null);
        }
        // nobody may impersonate an unmanaged user, so saying so first tells a caller nothing it could use
        if (!user.managed()) {
            throw new ResideException.NotAllowedInStateException("user " + user.id() + " is not managed: it holds a "
                    + "key of its own and acts for itself; only managed users can be impersonated");
        }
        if (!holds(caller, "user:impersonate:realm", user.realm())) {
            throw PermissionChecks.denied(contract(), "user:impersonate:realm", user.realm());
        }
        AccountRegistry registry = runtime.registry().orElseThrow();
        if (registry.publicKey(request.audience()).isEmpty()) {
            throw new ResideException.InvalidInputException("audience '" + request.audience() + "' is not the "
                    + "account of a replica: a delegation is for the account id of the replica it will be sent to");
        }
        Instant now = Instant.now();
        Duration lifetime = Delegations.MAX_LIFETIME;
        String id = newId("imp-");
        Records.ImpersonationRecord audit = new Records.ImpersonationRecord(id, caller, user.id(), user.accountId(),
                request.audience(), now, now.plus(lifetime));
        // recorded before the token exists: no delegation is ever issued without its audit entry
        store.run(tx -> {
            tx.create(Records.IMPERSONATION, Records.impersonationKey(now, id), audit);
            return null;
        });
        String token = Delegations.issue(runtime.identity().orElseThrow().key(), user.accountId(), caller,
                request.audience(), lifetime, now);
        LOG.infof("delegation %s: %s acts as %s (%s) towards %s until %s", id, caller, user.id(), user.accountId(),
                request.audience(), audit.expiresAt());
        return new UserManagerApi.Delegation(token, user.id(), user.accountId(), caller, request.audience(),
                audit.expiresAt());
    }

    public UserManagerApi.Page<UserManagerApi.Impersonation> impersonations(String userId, String after,
            Integer limit) {
        int max = limit == null ? 100 : limit;
        List<UserManagerApi.Impersonation> page = new ArrayList<>();
        String next = null;
        boolean started = after == null;
        for (Versioned<Records.ImpersonationRecord> v : store.list(Records.IMPERSONATION, Records.IMPERSONATIONS)) {
            Records.ImpersonationRecord r = v.value();
            if (!started) {
                started = r.id().equals(after);
                continue;
            }
            if (userId != null && !userId.equals(r.userId())) {
                continue;
            }
            if (page.size() == max) {
                next = page.get(page.size() - 1).id();
                break;
            }
            page.add(r.view());
        }
        return new UserManagerApi.Page<>(page, next);
    }

    // ------------------------------------------------------------------ grants

    private static GrantSpec spec(UserManagerApi.GrantSpec g) {
        return GrantSpec.of(g.contract(), g.permission(), g.params() == null ? JsonNodeFactory.instance.objectNode()
                : g.params());
    }

    /** Checks a grant against its contract; a realm-scoped permission of this contract creates its realm. */
    private static String check(Tx tx, UserManagerApi.GrantSpec g, String field) {
        String instance;
        try {
            instance = RcbAdmin.checkGrant(tx, spec(g));
        } catch (IllegalArgumentException e) {
            throw new ResideException.InvalidInputException(field + ": " + e.getMessage());
        }
        if (g.contract().equals(contract()) && instance != null && (g.permission().endsWith(":realm")
                || g.permission().equals("realm:read") || g.permission().equals("realm:manage"))) {
            ensureRealm(tx, instance, false);
        }
        return instance;
    }

    /** Whether {@code existing} is the grant {@code g}, whose instance (already checked) is {@code instance}. */
    private static boolean same(Tx tx, UserManagerApi.GrantSpec existing, UserManagerApi.GrantSpec g,
            String instance) {
        return existing.contract().equals(g.contract()) && existing.permission().equals(g.permission())
                && Objects.equals(instanceOf(tx, existing), instance);
    }

    public UserManagerApi.UserGrant grant(UserManagerApi.GrantPermission request) {
        UserManagerApi.GrantSpec g = new UserManagerApi.GrantSpec(request.contract(), request.permission(),
                request.params() == null ? JsonNodeFactory.instance.objectNode() : request.params());
        UserManagerApi.UserGrant result = store.run(tx -> {
            Records.UserRecord user = tx.find(Records.USER, Records.userKey(request.userId())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no user " + request.userId()));
            String instance = check(tx, g, "permission");
            Records.OwnGrants own = tx.find(Records.GRANTS, Records.grantsKey(user.id()))
                    .orElse(new Records.OwnGrants(user.id(), user.accountId(), List.of(), List.of()));
            List<UserManagerApi.GrantSpec> grants = new ArrayList<>();
            for (UserManagerApi.GrantSpec existing : own.grants()) {
                if (!same(tx, existing, g, instance)) {
                    grants.add(existing);
                }
            }
            grants.add(g);
            tx.put(Records.GRANTS, Records.grantsKey(user.id()), own.withGrants(grants));
            return new UserManagerApi.UserGrant(g.contract(), g.permission(), g.params(), instance, OWN);
        });
        sync.nudge();
        return result;
    }

    public List<UserManagerApi.UserGrant> revoke(UserManagerApi.GrantPermission request) {
        UserManagerApi.GrantSpec g = new UserManagerApi.GrantSpec(request.contract(), request.permission(),
                request.params() == null ? JsonNodeFactory.instance.objectNode() : request.params());
        store.run(tx -> {
            Records.UserRecord user = tx.find(Records.USER, Records.userKey(request.userId())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no user " + request.userId()));
            String instance = check(tx, g, "permission");
            Records.OwnGrants own = tx.find(Records.GRANTS, Records.grantsKey(user.id()))
                    .orElse(new Records.OwnGrants(user.id(), user.accountId(), List.of(), List.of()));
            List<UserManagerApi.GrantSpec> kept = own.grants().stream().filter(e -> !same(tx, e, g, instance))
                    .toList();
            if (kept.size() == own.grants().size()) {
                throw new ResideException.NotFoundException("user " + user.id() + " was not given " + g.permission()
                        + " of " + g.contract() + " with these params (default sets are changed with "
                        + "setDefaultPermissions)");
            }
            tx.put(Records.GRANTS, Records.grantsKey(user.id()), own.withGrants(kept));
            return null;
        });
        sync.nudge();
        return effective(request.userId());
    }

    public List<UserManagerApi.UserGrant> grantsOf(String userId) {
        user(userId);
        return effective(userId);
    }

    /** A user's own grants and the default sets, each saying where it comes from. */
    private List<UserManagerApi.UserGrant> effective(String userId) {
        return store.run(tx -> {
            List<UserManagerApi.UserGrant> result = new ArrayList<>();
            tx.find(Records.GRANTS, Records.grantsKey(userId)).ifPresent(own -> {
                own.grants().forEach(g -> result.add(new UserManagerApi.UserGrant(g.contract(), g.permission(),
                        g.params(), instanceOf(tx, g), OWN)));
                own.superAdmin().forEach(g -> result.add(new UserManagerApi.UserGrant(g.contract(), g.permission(),
                        g.params(), instanceOf(tx, g), SUPER_ADMIN)));
            });
            for (UserManagerApi.PermissionSet set : defaults(tx)) {
                for (UserManagerApi.GrantSpec g : set.grants()) {
                    result.add(new UserManagerApi.UserGrant(g.contract(), g.permission(), g.params(),
                            instanceOf(tx, g), "default:" + set.name()));
                }
            }
            return result;
        });
    }

    private static String instanceOf(Tx tx, UserManagerApi.GrantSpec g) {
        try {
            return RcbAdmin.checkGrant(tx, spec(g));
        } catch (IllegalArgumentException e) {
            return null; // its contract changed since: still shown, as given
        }
    }

    private static List<UserManagerApi.PermissionSet> defaults(Tx tx) {
        return tx.find(Records.DEFAULTS, Records.DEFAULTS_KEY).map(Records.Defaults::sets).orElse(List.of());
    }

    public List<UserManagerApi.PermissionSet> setDefaults(UserManagerApi.SetDefaultPermissions request) {
        List<UserManagerApi.PermissionSet> result = store.run(tx -> {
            Set<String> names = new LinkedHashSet<>(); // per attempt: a transaction may run again
            for (int s = 0; s < request.sets().size(); s++) {
                UserManagerApi.PermissionSet set = request.sets().get(s);
                if (!names.add(set.name())) {
                    throw new ResideException.InvalidInputException("sets[" + s + "].name: '" + set.name()
                            + "' is used twice");
                }
                for (int i = 0; i < set.grants().size(); i++) {
                    check(tx, set.grants().get(i), "sets[" + s + "].grants[" + i + "]");
                }
            }
            tx.put(Records.DEFAULTS, Records.DEFAULTS_KEY, new Records.Defaults(List.copyOf(request.sets())));
            return List.copyOf(request.sets());
        });
        sync.nudge();
        return result;
    }

    public List<UserManagerApi.PermissionSet> getDefaults() {
        return store.run(Users::defaults);
    }

    // ------------------------------------------------------------------ realms

    public UserManagerApi.Realm realm(String caller, String name) {
        Optional<Records.RealmRecord> realm = store.find(Records.REALM, Records.realmKey(name)).map(Versioned::value);
        boolean all = holds(caller, "realm:read:all", null);
        if (!all && !holds(caller, "realm:read", name)) {
            throw PermissionChecks.denied(contract(), "realm:read", name);
        }
        return realm.orElseThrow(() -> new ResideException.NotFoundException("there is no realm " + name)).view();
    }

    public List<UserManagerApi.Realm> realms(String caller) {
        boolean all = holds(caller, "realm:read:all", null);
        return store.list(Records.REALM, Records.REALMS).stream().map(Versioned::value)
                .filter(r -> all || holds(caller, "realm:read", r.name())).map(Records.RealmRecord::view).toList();
    }

    public UserManagerApi.Realm updateRealm(UserManagerApi.UpdateRealm request) {
        if (request.displayInfo() != null) {
            for (String language : List.of("en", "ru")) {
                DisplayText t = request.displayInfo().get(language);
                if (t == null || t.title() == null || t.title().isBlank()) {
                    throw new ResideException.InvalidInputException("displayInfo." + language + ".title: required (a "
                            + "realm is shown in en and ru)");
                }
            }
        }
        return store.run(tx -> {
            Records.RealmRecord r = tx.find(Records.REALM, Records.realmKey(request.name())).orElseThrow(
                    () -> new ResideException.NotFoundException("there is no realm " + request.name()));
            Records.RealmRecord next = new Records.RealmRecord(r.name(), request.displayInfo() == null ? r.displayInfo()
                    : Map.copyOf(request.displayInfo()), request.open() == null ? r.open() : request.open(),
                    r.createdAt());
            tx.put(Records.REALM, Records.realmKey(r.name()), next);
            return next.view();
        });
    }
}
