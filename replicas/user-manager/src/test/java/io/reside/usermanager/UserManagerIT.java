package io.reside.usermanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.harness.LocalCluster;
import io.reside.model.Identities;
import io.reside.model.error.ResideException;
import io.reside.permissions.CurrentGrant;
import io.reside.permissions.GrantKeys;
import io.reside.permissions.Rcb;
import io.reside.runtime.Contracts;
import io.reside.security.AccountKey;

/**
 * The User Manager across processes: Alpha, the User Manager and a test replica, all loaded from their images by
 * real load requests; the operator (who claimed super-admin) registers, creates people, gives them permissions, and
 * acts as them through delegations.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UserManagerIT {

    static final String UM = Contracts.of(UserManagerApi.class).identity();
    static final String ALPHA = Contracts.of(AlphaApi.class).identity();

    static LocalCluster cluster;
    static AlphaApi.Replica userManager;
    static AlphaApi.Replica provider;
    static UserManagerApi users;
    static UserManagerApi.User operator;
    static UserManagerApi.User ann;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        userManager = cluster.load(cluster.push(Path.of(System.getProperty("reside.user-manager.app")), "1"));
        provider = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.provider")), "1"));
        users = cluster.client(UserManagerApi.class, userManager, cluster.operator());
    }

    static volatile boolean failed;

    /** The User Manager's log is printed when a test failed: it runs as Alpha's child, its output goes to a file. */
    @RegisterExtension
    static final TestWatcher WATCHER = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
        }
    };

    @AfterAll
    static void stop() throws Exception {
        if (failed && cluster != null) {
            cluster.printLogs(80, "user-manager-1.log");
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    static ObjectNode params(String name, String value) {
        return JsonNodeFactory.instance.objectNode().put(name, value);
    }

    static UserManagerApi.GrantPermission grant(UserManagerApi.User user, String contract, String permission,
            ObjectNode params) {
        return new UserManagerApi.GrantPermission(user.id(), contract, permission, params);
    }

    /** What Alpha answers to {@code listReplicas} for ann, through a delegation the operator obtains. */
    static String listAsAnn() {
        UserManagerApi.Delegation d;
        try {
            d = users.impersonate(new UserManagerApi.Impersonate(ann.id(), cluster.alphaAccountId()));
        } catch (ResideException e) {
            return "impersonate: " + e.code().name();
        }
        try {
            cluster.alphaFor(cluster.operator(), d.token()).listReplicas();
            return "ok";
        } catch (ResideException e) {
            return e.code().name();
        }
    }

    @Test
    @Order(1)
    void theClaimantRegistersAsTheSuperAdminAndKeepsWhatTheClaimGranted() {
        operator = users.register();
        assertThat(users.register().id()).as("register is idempotent").isEqualTo(operator.id());
        assertThat(operator.realm()).isEqualTo("default");
        assertThat(operator.managed()).isFalse();
        // the User Manager's own permissions reach the operator through Alpha's syncGrants
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> users.getDefaultPermissions() != null);
        assertThat(users.listUserGrants(operator.id())).extracting(UserManagerApi.UserGrant::via)
                .containsOnly("super-admin");
        // and the claim's grants on Alpha are all still in force
        assertThat(cluster.alpha().getMyGrants()).extracting(AlphaApi.MyGrant::permission)
                .contains("load-request:approve", "rcb:manage:all", "replica:read:all");
        assertThat(cluster.alpha().getMyGrants()).extracting(AlphaApi.MyGrant::state).containsOnly("current");
    }

    @Test
    @Order(2)
    void managedUsersAreCreatedInTheirRealmWithUniqueNames() {
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("telegram", "ann")))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("user:create:realm{telegram}");
        users.grantPermission(grant(operator, UM, "user:create:realm", params("realm", "telegram")));
        assertThat(users.getRealm("telegram").name()).as("granting a realm-scoped permission creates the realm")
                .isEqualTo("telegram");
        ann = await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(
                ResideException.PermissionDeniedException.class)
                .until(() -> users.createUser(new UserManagerApi.CreateUser("telegram", "ann")), u -> u != null);
        assertThat(ann.managed()).isTrue();
        assertThat(ann.realm()).isEqualTo("telegram");
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("telegram", "ann")))
                .isInstanceOf(ResideException.ConflictException.class).hasMessageContaining("already has a user");
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("telegram", " ")))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("name");
        // the permission is checked before the input: a realm one may not create users in is a 403 whatever its name
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("Not A Realm", "x")))
                .isInstanceOf(ResideException.PermissionDeniedException.class);
        assertThat(users.listUsers("telegram", null, null).items()).hasSize(1);
        assertThat(users.findUserByAccount(ann.accountId()).id()).isEqualTo(ann.id());
        assertThat(users.listUsers("telegram", null, null).items()).extracting(UserManagerApi.User::name)
                .containsExactly("ann");
    }

    @Test
    @Order(3) // after the operator may create users in telegram (Order 2)
    void aPersonWithAKeyOfTheirOwnIsMadeAUserOfDefaultByWhoMayCreateUsersThere() {
        AccountKey bobKey = AccountKey.generate();
        String bobPublic = bobKey.publicKey().toBase64url();
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("default", "bob", bobPublic)))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("user:create:realm{default}");
        users.grantPermission(grant(operator, UM, "user:create:realm", params("realm", "default")));
        UserManagerApi.User bob = await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(
                ResideException.PermissionDeniedException.class).until(
                        () -> users.createUser(
                                new UserManagerApi.CreateUser("default", "bob", bobPublic)),
                        u -> u != null);
        assertThat(bob.managed()).isFalse();
        assertThat(bob.realm()).isEqualTo("default");
        assertThat(bob.accountId()).isEqualTo(bobKey.accountId());

        // bob now calls with his own key: the account is known, and register finds his user
        UserManagerApi asBob = cluster.client(UserManagerApi.class, userManager, bobKey);
        assertThat(await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> asBob.getMe(),
                me -> me != null).user().id()).isEqualTo(bob.id());
        assertThat(asBob.register().id()).isEqualTo(bob.id());

        // refused, with nothing stored: the same key again, the same name again, no key, a realm closed to keys
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("default", "bob-2", bobPublic)))
                .isInstanceOf(ResideException.ConflictException.class).hasMessageContaining("is user " + bob.id());
        String otherKey = AccountKey.generate().publicKey().toBase64url();
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("default", "bob", otherKey)))
                .isInstanceOf(ResideException.ConflictException.class).hasMessageContaining("already has a user");
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("default", "eve", "not-a-key")))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("publicKey");
        assertThatThrownBy(() -> users.createUser(new UserManagerApi.CreateUser("telegram", "eve", otherKey)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class)
                .hasMessageContaining("realm telegram takes no users with keys of their own");
        assertThat(users.listUsers("default", null, null).items()).extracting(UserManagerApi.User::name)
                .containsExactlyInAnyOrder(operator.name(), "bob");
        assertThat(cluster.store().find(io.reside.security.AccountRegistry.ACCOUNT, io.reside.security.AccountRegistry
                .key(io.reside.security.PublicKey.fromBase64url(otherKey).accountId()))).isEmpty();
    }

    @Test
    @Order(3)
    void aGrantNamingNoPermissionOrWithWrongParamsIsRefusedAndStoresNothing() {
        List<UserManagerApi.UserGrant> before = users.listUserGrants(ann.id());
        assertThatThrownBy(() -> users.grantPermission(grant(ann, ALPHA, "replica:fly", null)))
                .isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("defines no permission 'replica:fly'");
        assertThatThrownBy(() -> users.grantPermission(grant(ann, UM, "user:read:realm", params("room", "x"))))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("params.realm");
        assertThatThrownBy(() -> users.grantPermission(grant(ann, "localhost:5000/nope.v1", "x:y", null)))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("unknown contract");
        assertThat(users.listUserGrants(ann.id())).isEqualTo(before);
    }

    @Test
    @Order(4)
    void aUserGrantedReplicaReadListsReplicasThroughADelegationUntilItIsRevoked() {
        users.grantPermission(grant(operator, UM, "user:impersonate:realm", params("realm", "telegram")));
        await().atMost(Duration.ofSeconds(20)).until(() -> listAsAnn().equals("PERMISSION_DENIED"));

        users.grantPermission(grant(ann, ALPHA, "replica:read:all", null));
        await().atMost(Duration.ofSeconds(20)).until(() -> listAsAnn().equals("ok"));

        users.revokePermission(grant(ann, ALPHA, "replica:read:all", null));
        long revoked = System.nanoTime();
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20))
                .until(() -> listAsAnn().equals("PERMISSION_DENIED"));
        System.out.printf("revocation through the User Manager refused %d ms after revokePermission returned%n",
                (System.nanoTime() - revoked) / 1_000_000);
    }

    @Test
    @Order(5)
    void aDefaultSetReachesEveryUserAndItsRemovalRevokesItEverywhere() {
        users.setDefaultPermissions(new UserManagerApi.SetDefaultPermissions(List.of(new UserManagerApi.PermissionSet(
                "viewers", List.of(new UserManagerApi.GrantSpec(ALPHA, "replica:read:all", null))))));
        await().atMost(Duration.ofSeconds(20)).until(() -> listAsAnn().equals("ok"));
        assertThat(users.listUserGrants(ann.id())).extracting(UserManagerApi.UserGrant::via)
                .contains("default:viewers");
        // one grant document for every user, not one per user
        assertThat(cluster.store().find(Rcb.GRANT, GrantKeys.expectedKey("alpha", GrantKeys.grantKey(
                GrantKeys.ALL_USERS, ALPHA, "replica:read:all", null)))).isPresent();

        users.setDefaultPermissions(new UserManagerApi.SetDefaultPermissions(List.of()));
        long removed = System.nanoTime();
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20))
                .until(() -> listAsAnn().equals("PERMISSION_DENIED"));
        System.out.printf("default set removed: refused %d ms later%n", (System.nanoTime() - removed) / 1_000_000);
    }

    @Test
    @Order(6)
    void impersonationIsOnlyForManagedUsersOfAllowedRealmsAndOnlyForItsAudienceAndActor() throws Exception {
        assertThatThrownBy(() -> users.impersonate(new UserManagerApi.Impersonate(operator.id(),
                cluster.alphaAccountId()))).as("an unmanaged user")
                .isInstanceOf(ResideException.NotAllowedInStateException.class).hasMessageContaining("not managed");
        users.grantPermission(grant(operator, UM, "user:create:realm", params("realm", "other")));
        UserManagerApi.User bob = await().atMost(Duration.ofSeconds(20)).ignoreExceptionsInstanceOf(
                ResideException.PermissionDeniedException.class)
                .until(() -> users.createUser(new UserManagerApi.CreateUser("other", "bob")), u -> u != null);
        assertThatThrownBy(() -> users.impersonate(new UserManagerApi.Impersonate(bob.id(),
                cluster.alphaAccountId()))).as("a realm the caller may not impersonate in")
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("user:impersonate:realm{other}");
        assertThatThrownBy(() -> users.impersonate(new UserManagerApi.Impersonate(ann.id(), "acc_nobody")))
                .isInstanceOf(ResideException.InvalidInputException.class).hasMessageContaining("audience");

        UserManagerApi.Delegation forAlpha = users.impersonate(new UserManagerApi.Impersonate(ann.id(),
                cluster.alphaAccountId()));
        assertThat(forAlpha.expiresAt()).isBefore(Instant.now().plus(Duration.ofMinutes(5).plusSeconds(5)));
        // used with another audience (the User Manager instead of Alpha)
        assertThatThrownBy(() -> cluster.clientFor(UserManagerApi.class, userManager, cluster.operator(),
                forAlpha.token()).getMe()).isInstanceOf(ResideException.UnauthenticatedException.class);
        // used by another actor (the provider's key instead of the operator's)
        assertThatThrownBy(() -> cluster.alphaFor(cluster.keyOf(provider), forAlpha.token()).listReplicas())
                .isInstanceOf(ResideException.UnauthenticatedException.class);

        // every delegation issued is in the audit log, newest first, without its token
        List<UserManagerApi.Impersonation> log = users.listImpersonations(ann.id(), null, 5).items();
        assertThat(log).isNotEmpty();
        assertThat(log.get(0).actor()).isEqualTo(cluster.operator().accountId());
        assertThat(log.get(0).audience()).isEqualTo(cluster.alphaAccountId());
        assertThat(log.get(0).toString()).doesNotContain(forAlpha.token());
    }

    @Test
    @Order(7)
    void concurrentGrantEditsOnOneUserLoseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        // over one session (a signed handshake, then MACs), as a tool making many calls would
        UserManagerApi overSession = cluster.sessionClient(UserManagerApi.class, userManager, cluster.operator());
        try {
            List<Future<?>> edits = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String realm = "r" + i;
                edits.add(pool.submit(() -> overSession.grantPermission(grant(ann, UM, "user:read:realm",
                        params("realm", realm)))));
            }
            for (Future<?> f : edits) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(users.listUserGrants(ann.id())).filteredOn(g -> g.permission().equals("user:read:realm"))
                .extracting(UserManagerApi.UserGrant::instanceId)
                .containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7");
        // and all eight reach the User Manager's own grant documents
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.store().list(Rcb.GRANT,
                GrantKeys.expectedPrefix(userManager.id(), ann.accountId())).stream()
                .filter(v -> v.value().expected().granted()).count() == 8);
    }

    @Test
    @Order(8)
    void getMeShowsTheCallersUserAndItsEffectiveGrants() {
        UserManagerApi.Me me = users.getMe();
        assertThat(me.user().id()).isEqualTo(operator.id());
        assertThat(me.grants()).extracting(UserManagerApi.UserGrant::via).contains("super-admin", "own");
        UserManagerApi.Delegation asAnn = users.impersonate(new UserManagerApi.Impersonate(ann.id(),
                userManager.accountId()));
        UserManagerApi.Me annMe = cluster.clientFor(UserManagerApi.class, userManager, cluster.operator(),
                asAnn.token()).getMe();
        assertThat(annMe.user().id()).isEqualTo(ann.id());
        assertThat(annMe.grants()).extracting(UserManagerApi.UserGrant::instanceId).contains("r0", "r7");
    }

    /**
     * The User Manager SIGKILLed right after 30 grants were recorded, while its sync is pushing them: Alpha restarts
     * it, it pushes what it had not marked as pushed, and the provider ends with every grant applied, each hook
     * called once.
     */
    @Test
    @Order(9)
    void aUserManagerKilledInTheMiddleOfASyncConvergesAndCallsNoHookTwice() throws Exception {
        String echo = Identities.contract(Identities.DEFAULT_PREFIX, "echo", 1);
        List<UserManagerApi.User> people = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            people.add(users.createUser(new UserManagerApi.CreateUser("telegram", "crash-" + i)));
        }
        for (UserManagerApi.User u : people) {
            users.grantPermission(grant(u, echo, "echo:call", null));
        }
        long pid = cluster.processRecords(userManager.id()).get(0).path("pid").asLong();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        long markedAtKill = people.stream()
                .filter(u -> cluster.dataOf(userManager.id()).find(Records.SYNCED, Records.syncedKey(u.id()))
                        .isPresent())
                .count();
        System.out.printf("User Manager killed with %d of %d users' grants marked as pushed%n", markedAtKill,
                people.size());

        Predicate<UserManagerApi.User> applied = u -> cluster.store().find(
                CurrentGrant.TYPE, GrantKeys.currentKey(provider.id(), GrantKeys.grantKey(
                        u.accountId(), echo, "echo:call", null)))
                .map(v -> v.value().granted()).orElse(false);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> people.stream().allMatch(applied));
        List<String> hooks = Files.readAllLines(cluster.alphaState().resolve("logs")
                .resolve("provider-1.log")).stream().filter(l -> l.contains("HOOK granted echo:call to ")).toList();
        for (UserManagerApi.User u : people) {
            assertThat(hooks.stream().filter(l -> l.endsWith("HOOK granted echo:call to " + u.accountId())))
                    .as("hook calls for %s", u.name()).hasSize(1);
        }
        // the restarted User Manager answers again (at its new address)
        userManager = cluster.awaitRunning(userManager.id(), 1);
        users = cluster.client(UserManagerApi.class, userManager, cluster.operator());
        assertThat(users.listUserGrants(people.get(0).id())).extracting(UserManagerApi.UserGrant::permission)
                .contains("echo:call");
    }
}
