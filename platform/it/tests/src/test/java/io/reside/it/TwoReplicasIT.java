package io.reside.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.contracts.usermanager.v1.UserManagerApi;
import io.reside.etcd.Store;
import io.reside.harness.LocalCluster;
import io.reside.model.Identities;
import io.reside.model.error.ResideException;
import io.reside.security.AccountKey;
import io.reside.security.Delegations;
import io.reside.security.RequestProofs;
import io.reside.testing.ReplicaProcess;

/**
 * Two replicas loaded by Alpha from their images, each its own JVM, against a real etcd: a provider implementing
 * echo.v1 (one permission-checked method) and a consumer requiring it with a static grant, plus the User Manager for
 * delegations. Nothing here writes RCBs or accounts: Alpha and the User Manager do.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ECHO = Identities.contract(Identities.DEFAULT_PREFIX, "echo", 1);
    static final String UM = Identities.contract(Identities.DEFAULT_PREFIX, "user-manager", 1);
    static final AccountKey STRANGER = AccountKey.generate();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static LocalCluster cluster;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;
    static AlphaApi.Replica userManager;
    /** A registered account with a key of its own, which holds no grant on the provider: the consumer's. */
    static AccountKey secretary;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        provider = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.provider")), "1"));
        consumer = cluster.load(cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1"));
        userManager = cluster.load(cluster.push(Path.of(System.getProperty("reside.user-manager.app")), "1"));
        secretary = cluster.keyOf(consumer);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static String providerUrl() {
        return provider.endpoints().get("local");
    }

    static String consumerUrl() {
        return consumer.endpoints().get("local");
    }

    static AlphaApi.SyncGrants consumersStaticGrant(boolean granted) {
        return new AlphaApi.SyncGrants(consumer.accountId(), "static", granted
                ? List.of(new AlphaApi.PermissionSet("consumer", List.of(new AlphaApi.GrantSpec(ECHO, "echo:call",
                        null, List.of(provider.id())))))
                : List.of());
    }

    @Test
    @Order(1)
    void aCallSucceedsOnceGrantedAndIsRefusedWithin500msOfTheRevocation() {
        await().atMost(Duration.ofSeconds(15)).until(() -> drive("hello").path("ok").asBoolean());
        JsonNode ok = drive("hello");
        assertThat(ok.path("text").asText()).isEqualTo("hello");
        assertThat(ok.path("madeBy").asText()).isEqualTo(consumer.accountId());

        cluster.alpha().syncGrants(consumersStaticGrant(false));
        long revoked = System.nanoTime();
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20))
                .until(() -> "permission-denied".equals(drive("hello").path("code").asText()));
        System.out.printf("revocation enforced %d ms after syncGrants returned%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revoked));
        cluster.alpha().syncGrants(consumersStaticGrant(true));
        await().atMost(Duration.ofSeconds(15)).until(() -> drive("again").path("ok").asBoolean());
    }

    @Test
    @Order(2)
    void eachBadProofIsRefusedWithItsOwnReason() throws Exception {
        String target = "/rpc/echo.v1/whoAmI";
        byte[] none = new byte[0];
        String good = sign(secretary, provider.accountId(), "GET", target, none, null, Instant.now());
        assertThat(get(target, good, null).statusCode()).isEqualTo(200);

        String jws = good.substring("Reside ".length());
        String other = sign(STRANGER, provider.accountId(), "GET", target, none, null, Instant.now())
                .substring("Reside ".length());
        Map<String, String> reasons = new java.util.LinkedHashMap<>();
        reasons.put("forged signature", reason(get(target, "Reside " + jws.substring(0, jws.lastIndexOf('.'))
                + other.substring(other.lastIndexOf('.')), null)));
        reasons.put("expired proof", reason(get(target, sign(secretary, provider.accountId(), "GET", target, none,
                null, Instant.now().minusSeconds(120)), null)));
        reasons.put("replayed jti", reason(get(target, good, null)));
        reasons.put("wrong audience", reason(get(target, sign(secretary, consumer.accountId(), "GET", target, none,
                null, Instant.now()), null)));
        byte[] signedBody = "{\"text\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        String echoTarget = "/rpc/echo.v1/echo";
        reasons.put("tampered body", reason(send("POST", echoTarget, sign(secretary, provider.accountId(), "POST",
                echoTarget, signedBody, null, Instant.now()), null,
                "{\"text\":\"b\"}".getBytes(StandardCharsets.UTF_8))));
        reasons.put("unknown account", reason(get(target, sign(STRANGER, provider.accountId(), "GET", target, none,
                null, Instant.now()), null)));
        System.out.println("401 reasons: " + reasons);
        assertThat(reasons).containsExactly(
                Map.entry("forged signature", "signature-invalid"),
                Map.entry("expired proof", "proof-expired"),
                Map.entry("replayed jti", "proof-replayed"),
                Map.entry("wrong audience", "audience-mismatch"),
                Map.entry("tampered body", "body-mismatch"),
                Map.entry("unknown account", "account-unknown"));
        Set<String> distinct = new LinkedHashSet<>(reasons.values());
        assertThat(distinct).hasSize(6);
    }

    @Test
    @Order(3)
    void delegationsFromTheUserManagerAreCheckedAndTheProviderSeesTheUserAndTheActor() throws Exception {
        UserManagerApi users = cluster.client(UserManagerApi.class, userManager, cluster.operator());
        UserManagerApi.User operator = users.register(); // the super-admin: it gets the User Manager's permissions
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> users.getDefaultPermissions() != null);
        for (String permission : List.of("user:create:realm", "user:impersonate:realm")) {
            users.grantPermission(new UserManagerApi.GrantPermission(operator.id(), UM, permission,
                    JsonNodeFactory.instance.objectNode().put("realm", "telegram")));
        }
        UserManagerApi.User ann = await().atMost(Duration.ofSeconds(20))
                .ignoreExceptionsInstanceOf(ResideException.PermissionDeniedException.class)
                .until(() -> users.createUser(new UserManagerApi.CreateUser("telegram", "ann")), u -> u != null);

        String target = "/rpc/echo.v1/whoAmI";
        byte[] none = new byte[0];
        String untrusted = Delegations.issue(STRANGER, ann.accountId(), secretary.accountId(), provider.accountId(),
                Duration.ofMinutes(5), Instant.now());
        assertThat(reason(get(target, sign(secretary, provider.accountId(), "GET", target, none, untrusted,
                Instant.now()), untrusted))).isEqualTo("delegation-untrusted-issuer");
        String forOperator = await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> users.impersonate(
                new UserManagerApi.Impersonate(ann.id(), provider.accountId())).token(), t -> t != null);
        assertThat(reason(get(target, sign(secretary, provider.accountId(), "GET", target, none, forOperator,
                Instant.now()), forOperator))).as("sent by another actor").isEqualTo("delegation-actor-mismatch");
        HttpResponse<String> seen = get(target, sign(cluster.operator(), provider.accountId(), "GET", target, none,
                forOperator, Instant.now()), forOperator);
        assertThat(seen.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(seen.body());
        assertThat(body.path("madeBy").asText()).isEqualTo(ann.accountId());
        assertThat(body.path("actor").asText()).isEqualTo(cluster.operator().accountId());

        // through the consumer: it obtains a delegation for itself and calls on behalf of the user, with its own key
        UserManagerApi asConsumer = cluster.client(UserManagerApi.class, userManager, secretary);
        UserManagerApi.User consumerUser = asConsumer.register();
        users.grantPermission(new UserManagerApi.GrantPermission(consumerUser.id(), UM, "user:impersonate:realm",
                JsonNodeFactory.instance.objectNode().put("realm", "telegram")));
        users.grantPermission(new UserManagerApi.GrantPermission(ann.id(), ECHO, "echo:call", null));
        String forConsumer = await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> asConsumer
                .impersonate(new UserManagerApi.Impersonate(ann.id(), provider.accountId())).token(), t -> t != null);
        await().atMost(Duration.ofSeconds(15)).until(() -> driveAs("hi", forConsumer).path("ok").asBoolean());
        JsonNode relayed = driveAs("hi", forConsumer);
        assertThat(relayed.path("madeBy").asText()).isEqualTo(ann.accountId());
        assertThat(relayed.path("actor").asText()).isEqualTo(consumer.accountId());
    }

    /**
     * etcd itself, not the replicas' good manners, keeps each replica to its own keys: Alpha made one etcd user per
     * running version, and with the provider's credentials etcd refuses another replica's data, the provider's own
     * expected grants and RCB for writing, the account registry for writing, and Alpha's records, at once and with
     * an error that says so. The User Manager alone may register accounts.
     */
    @Test
    @Order(4)
    void etcdItselfConfinesEachReplicaToItsOwnKeys() {
        String providerUser = "reside-" + provider.id() + "-v1";
        assertThat(cluster.store().auth().enabled()).isTrue();
        assertThat(cluster.store().auth().users()).contains("root", providerUser, "reside-" + consumer.id() + "-v1",
                "reside-" + userManager.id() + "-v1");
        io.reside.etcd.DocType<JsonNode> any = io.reside.etcd.DocType.of("any", JsonNode.class);
        try (Store own = cluster.storeAs(providerUser, "data/" + provider.id() + "/")) {
            Store shared = own.cluster();
            own.run(tx -> {
                tx.put(any, "probe", JSON.createObjectNode().put("mine", true));
                return null;
            });
            assertThat(own.get(any, "probe").value().path("mine").asBoolean()).isTrue();
            assertThat(shared.find(io.reside.permissions.Rcb.TYPE, io.reside.permissions.Rcb.key(provider.id())))
                    .isPresent();
            assertThat(shared.list(any, "accounts/")).isNotEmpty();

            Map<String, Runnable> refused = new java.util.LinkedHashMap<>();
            refused.put("another replica's data", () -> shared.list(any, "data/" + consumer.id() + "/"));
            refused.put("its own expected grants, for writing", () -> shared.run(tx -> {
                tx.put(any, io.reside.permissions.GrantKeys.expectedPrefix(provider.id()) + "forged", JSON
                        .createObjectNode());
                return null;
            }));
            refused.put("its own RCB, for writing", () -> shared.run(tx -> {
                tx.put(any, io.reside.permissions.Rcb.key(provider.id()), JSON.createObjectNode());
                return null;
            }));
            refused.put("the account registry, for writing", () -> shared.run(tx -> {
                tx.put(any, "accounts/acc_forged", JSON.createObjectNode());
                return null;
            }));
            refused.put("Alpha's records", () -> shared.list(any, "alpha/"));
            refused.put("another replica's RCB", () -> shared.find(any, io.reside.permissions.Rcb.key(consumer.id())));
            refused.forEach((what, attempt) -> {
                long started = System.nanoTime();
                assertThatThrownBy(attempt::run).as(what)
                        .isInstanceOf(io.reside.etcd.EtcdPermissionDeniedException.class)
                        .hasMessageContaining(providerUser).hasMessageContaining("no permission");
                System.out.printf("etcd refused the provider %s in %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(
                        System.nanoTime() - started));
            });
        }
        var root = cluster.store();
        assertThat(root.find(any, "accounts/acc_forged")).isEmpty();
        assertThat(root.find(any, io.reside.permissions.GrantKeys.expectedPrefix(provider.id()) + "forged")).isEmpty();
        // the User Manager registers accounts; it still cannot touch Alpha's records
        try (Store um = cluster.storeAs("reside-" + userManager.id() + "-v1", "")) {
            assertThat(um.list(any, "accounts/")).isNotEmpty();
            assertThatThrownBy(() -> um.list(any, "alpha/replicas/")).isInstanceOf(
                    io.reside.etcd.EtcdPermissionDeniedException.class);
        }
    }

    @Test
    @Order(5)
    void aDeadProviderIsAFastTypedUnavailableErrorUntilItReturns() throws Exception {
        assertThat(drive("before").path("ok").asBoolean()).isTrue();
        ProcessHandle.of(pidOf(provider)).orElseThrow().destroyForcibly(); // Alpha restarts it after its backoff
        JsonNode first = await().atMost(Duration.ofSeconds(10)).until(() -> drive("down"),
                r -> !r.path("ok").asBoolean());
        assertThat(first.path("code").asText()).isEqualTo("unavailable");
        // until it is back every call fails at once, typed: the circuit opened, or Alpha already took the dead
        // address out of the consumer's RCB
        JsonNode later = first;
        for (int i = 0; i < 10; i++) {
            JsonNode r = drive("down");
            if (r.path("ok").asBoolean()) {
                break; // already restarted
            }
            assertThat(r.path("code").asText()).as(r.toString()).isEqualTo("unavailable");
            later = r;
        }
        System.out.printf("provider down: first failure after %.1f ms (%s), a later one after %.1f ms (%s)%n",
                first.path("millis").asDouble(), first.path("message").asText(), later.path("millis").asDouble(),
                later.path("message").asText());
        assertThat(later.path("millis").asDouble()).as("a later failure does not wait")
                .isLessThan(first.path("millis").asDouble() + 1000);
        // Alpha restarted it (at a new address, published in the consumer's RCB): calls go through again
        await().atMost(Duration.ofSeconds(90)).until(() -> drive("back").path("ok").asBoolean());
        provider = cluster.alpha().getReplica(provider.id());
    }

    @Test
    @Order(6)
    void bothReplicasGoNotReadyWhileEtcdIsDownAndRecoverByThemselves() throws Exception {
        provider = cluster.awaitRunning(provider.id(), 1);
        long providerPid = pidOf(provider);
        long consumerPid = pidOf(consumer);
        assertThat(drive("before the partition").path("ok").asBoolean()).isTrue();
        cluster.etcd().stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> readiness(providerUrl()) == 503
                && readiness(consumerUrl()) == 503);
        // the provider's checks fail closed once its view of the grants is older than max-staleness (30 s)
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> drive("during the partition").path("message").asText()
                        .contains("has not heard from etcd"));
        JsonNode refused = drive("during the partition");
        System.out.printf("etcd partition: the provider answers %s: %s%n", refused.path("code").asText(),
                refused.path("message").asText());
        cluster.etcd().restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> readiness(providerUrl()) == 200
                && readiness(consumerUrl()) == 200);
        assertThat(pidOf(provider)).isEqualTo(providerPid);
        assertThat(pidOf(consumer)).isEqualTo(consumerPid);
        // calls go through again, and the consumer's circuit breaker is past the refusals
        await().atMost(Duration.ofSeconds(30)).until(() -> IntStream.range(0, 4)
                .allMatch(i -> drive("after etcd").path("ok").asBoolean()));
        // and Alpha answers again by itself (until its watches resume it fails its permission checks closed, 503)
        LocalCluster.awaitCondition("Alpha checks permissions again", Duration.ofSeconds(30),
                () -> cluster.alpha().getReplica(provider.id()), r -> r != null);
    }

    @Test
    @Order(7)
    void sigtermDrainsCallsInFlightAndReleasesTheReconcilerLock() throws Exception {
        CompletableFuture<JsonNode> slow = CompletableFuture.supplyAsync(() -> call(consumerUrl()
                + "/drive/slow?millis=2000"));
        Thread.sleep(500); // the call is in flight in the provider
        cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(provider.id(), false)); // Alpha: SIGTERM
        JsonNode answer = slow.get(30, TimeUnit.SECONDS);
        System.out.printf("SIGTERM: the call in flight answered %s%n", answer);
        assertThat(answer.path("ok").asBoolean()).as(answer.toString()).isTrue();
        assertThat(answer.path("text").asText()).isEqualTo("slept 2000");
        // its reconciler released its lock on the way out: taking it does not wait for the lease to expire
        LocalCluster.awaitCondition("the provider stopped", Duration.ofSeconds(30),
                () -> cluster.alpha().getReplica(provider.id()).currentVersion().status(), "stopped"::equals);
        // a version that does not run keeps no etcd credentials
        LocalCluster.awaitCondition("the provider's etcd user deleted", Duration.ofSeconds(30),
                () -> cluster.store().auth().users(), users -> !users.contains("reside-" + provider.id() + "-v1"));
        Store quick = Store.connect(cluster.store().config().toBuilder().lockWaitTimeout(Duration.ofSeconds(1))
                .build());
        try (quick) {
            String taken = quick.withLock("reconciler/" + provider.id(), lock -> "taken");
            assertThat(taken).isEqualTo("taken");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The process id of a loaded replica's current version, from the local runtime's process record. */
    static long pidOf(AlphaApi.Replica replica) throws IOException {
        return cluster.processRecords(replica.id()).get(0).path("pid").asLong();
    }

    static int readiness(String baseUrl) {
        return ReplicaProcess.readiness(HTTP, baseUrl, Duration.ofSeconds(5));
    }

    static JsonNode drive(String text) {
        return call(consumerUrl() + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8));
    }

    static JsonNode driveAs(String text, String delegation) {
        return call(consumerUrl() + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8)
                + "&delegation=" + URLEncoder.encode(delegation, StandardCharsets.UTF_8));
    }

    static JsonNode call(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String sign(AccountKey key, String audience, String method, String target, byte[] body, String delegation,
            Instant at) {
        return RequestProofs.sign(key, audience, new RequestProofs.Request(method, target, body, delegation), at);
    }

    static HttpResponse<String> get(String target, String authorization, String delegation) throws Exception {
        return send("GET", target, authorization, delegation, null);
    }

    static HttpResponse<String> send(String method, String target, String authorization, String delegation,
            byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(providerUrl() + target))
                .timeout(Duration.ofSeconds(10)).header("Authorization", authorization);
        if (delegation != null) {
            b.header(Delegations.HEADER_NAME, delegation);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String reason(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        return JSON.readTree(response.body()).path("reason").asText();
    }
}
