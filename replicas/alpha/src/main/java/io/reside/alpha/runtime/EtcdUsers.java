package io.reside.alpha.runtime;

import static io.reside.etcd.EtcdAuth.Access.READ;
import static io.reside.etcd.EtcdAuth.Access.READWRITE;
import static io.reside.etcd.EtcdAuth.KeyPermission.key;
import static io.reside.etcd.EtcdAuth.KeyPermission.prefix;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.reside.alpha.service.Records;
import io.reside.etcd.EtcdAuth;
import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.Rcb;
import io.reside.runtime.ReplicaRuntime;
import io.reside.security.AccountRegistry;

/**
 * One etcd user per running version, confined by its instance's role to the instance's own keys (docs/adr/0008):
 * made before the version starts, deleted once it stopped, so credentials rotate with every update and an unloaded
 * replica keeps none. Active when Alpha connects to etcd as {@code root} ({@code reside.etcd.username=root}); it
 * then turns etcd's auth on at its first pass if nobody did.
 * <p>
 * A version's password is Alpha's Ed25519 signature of the user's name (deterministic, RFC 8032), so it is never
 * stored anywhere Alpha must read it back: any pass, and any Alpha holding the cluster's key, computes the same one.
 * Nothing here is in a transaction (etcd's auth API has none): every step is idempotent and the next pass finishes
 * what a crash interrupted, deleting users and roles no version or instance owns.
 */
@ApplicationScoped
public class EtcdUsers {

    private static final Logger LOG = Logger.getLogger(EtcdUsers.class);
    /** Prefix of every user and role Alpha makes: others (root, an operator's) are never touched. */
    static final String PREFIX = "reside-";

    @Inject
    Store store;

    @Inject
    ReplicaRuntime replica;

    /** Users and roles made or checked by this Alpha process (reset when it restarts: a new Alpha checks again). */
    private final Set<String> checkedUsers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, List<EtcdAuth.KeyPermission>> checkedRoles = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean enabled;
    private volatile boolean toldNotRoot;

    /** Whether Alpha manages etcd users: it connects as root. */
    public boolean active() {
        StoreConfig.Credentials c = store.config().credentials();
        return c != null && c.username().equals("root");
    }

    /** The user a version runs as. */
    public static String userName(String replicaId, int version) {
        return PREFIX + replicaId + "-v" + version;
    }

    static String roleName(String replicaId) {
        return PREFIX + replicaId;
    }

    /** A version's credentials: empty when Alpha does not manage etcd users. */
    public Optional<StoreConfig.Credentials> credentials(String replicaId, int version) {
        if (!active()) {
            return Optional.empty();
        }
        String user = userName(replicaId, version);
        byte[] signature = replica.identity().orElseThrow().key().sign(("reside etcd password v1\n" + store.config()
                .cluster() + "\n" + user).getBytes(StandardCharsets.UTF_8));
        return Optional.of(new StoreConfig.Credentials(user, Base64.getUrlEncoder().withoutPadding()
                .encodeToString(signature)));
    }

    /**
     * What an instance's user may touch, relative to the cluster root: its own data, its RCB and expected grants
     * (read), its applied grants and its reconciler's lock, and the shared records every replica reads. The User
     * Manager also registers accounts and reads the super-admin claim.
     */
    static List<EtcdAuth.KeyPermission> permissions(String replicaId, boolean userManager) {
        List<EtcdAuth.KeyPermission> p = new ArrayList<>(List.of(
                prefix(Store.dataPrefix(replicaId), READWRITE),
                key(Rcb.key(replicaId), READ),
                prefix(GrantKeys.expectedPrefix(replicaId), READ),
                prefix(GrantKeys.currentPrefix(replicaId), READWRITE),
                prefix("locks/reconciler/" + replicaId + "/", READWRITE),
                prefix("accounts/", userManager ? READWRITE : READ),
                prefix("contracts/", READ),
                prefix("implementors/", READ),
                prefix("grantees/", READ),
                prefix("cluster/", READ)));
        if (userManager) {
            p.add(key(Records.CLAIM_KEY, READ));
        }
        return List.copyOf(p);
    }

    /**
     * Makes the etcd users and roles match the versions that run or stop now: a role per instance in
     * {@code replicas}, a user per version in {@code versions} (replica id → version ids), nothing else with our
     * prefix.
     */
    void reconcile(Collection<Records.ReplicaRecord> replicas, Map<String, Set<Integer>> versions) {
        if (!active()) {
            StoreConfig.Credentials c = store.config().credentials();
            if (c != null && !toldNotRoot) {
                toldNotRoot = true;
                LOG.warnf("Alpha connects to etcd as %s, not root: it cannot make the replicas' etcd users, so they "
                        + "get no credentials (docs/adr/0008)", c.username());
            }
            return;
        }
        EtcdAuth auth = store.auth();
        if (!enabled) {
            auth.enable(store.config().credentials().password());
            enabled = true;
        }
        String userManager = store.find(AccountRegistry.USER_MANAGER, AccountRegistry.USER_MANAGER_KEY)
                .map(v -> v.value().accountId()).orElse(null);
        Map<String, StoreConfig.Credentials> wantedUsers = new HashMap<>(); // user → its credentials
        Map<String, String> roleOf = new HashMap<>(); // user → role
        for (Records.ReplicaRecord r : replicas) {
            if (r.id().equals(Records.ALPHA_ID)) {
                continue;
            }
            String role = roleName(r.id());
            List<EtcdAuth.KeyPermission> perms = permissions(r.id(), r.accountId().equals(userManager));
            if (!perms.equals(checkedRoles.get(role))) {
                auth.putRole(role, perms);
                checkedRoles.put(role, perms);
                LOG.debugf("etcd role %s: %s", role, perms);
            }
            for (int v : versions.getOrDefault(r.id(), Set.of())) {
                StoreConfig.Credentials c = credentials(r.id(), v).orElseThrow();
                wantedUsers.put(c.username(), c);
                roleOf.put(c.username(), role);
            }
        }
        for (StoreConfig.Credentials c : wantedUsers.values()) {
            if (checkedUsers.add(c.username())) {
                // the password is set again on first sight: an Alpha that restarts repairs a user changed by hand
                auth.putUser(c.username(), c.password(), roleOf.get(c.username()), true);
                LOG.infof("etcd user %s (role %s) is ready", c.username(), roleOf.get(c.username()));
            }
        }
        Set<String> roles = replicas.stream().map(r -> roleName(r.id())).collect(Collectors.toSet());
        for (String user : auth.users()) {
            if (user.startsWith(PREFIX) && !wantedUsers.containsKey(user)) {
                auth.deleteUser(user);
                checkedUsers.remove(user);
                LOG.infof("deleted etcd user %s: its version no longer runs", user);
            }
        }
        for (String role : auth.roles()) {
            if (role.startsWith(PREFIX) && !roles.contains(role)) {
                auth.deleteRole(role);
                checkedRoles.remove(role);
                LOG.infof("deleted etcd role %s: its instance is unloaded", role);
            }
        }
    }

    static Map<String, Set<Integer>> versionsOf(Collection<String> keys) {
        Map<String, Set<Integer>> result = new HashMap<>();
        for (String k : keys) {
            int slash = k.lastIndexOf('/');
            result.computeIfAbsent(k.substring(0, slash), x -> new java.util.TreeSet<>())
                    .add(Integer.parseInt(k.substring(slash + 1)));
        }
        return result;
    }
}
