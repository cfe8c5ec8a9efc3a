package io.reside.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.etcd.Store;
import io.reside.etcd.StoreConfig;
import io.reside.model.manifest.ContractManifest;
import io.reside.model.manifest.Manifests;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.Delegations;
import io.reside.security.RequestProofs;
import io.reside.testing.EtcdServer;
import io.reside.testing.ReplicaProcess;

/**
 * Two replicas started from their packaged jars, each its own JVM, against a real etcd, wired through RCBs as Alpha
 * would: a provider implementing echo.v1 (one permission-checked method) and a consumer requiring it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {

    static final String CLUSTER = "it";
    static final ObjectMapper JSON = new ObjectMapper();
    static final AccountKey PROVIDER = AccountKey.generate();
    static final AccountKey CONSUMER = AccountKey.generate();
    static final AccountKey USER_MANAGER = AccountKey.generate();
    static final AccountKey SECRETARY = AccountKey.generate();
    static final AccountKey STRANGER = AccountKey.generate();
    static final String USER = "acc_" + "u".repeat(32);

    static EtcdServer etcd;
    static Store store;
    static ReplicaProcess provider;
    static ReplicaProcess consumer;
    static ContractManifest echo;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startCluster() throws Exception {
        etcd = EtcdServer.start();
        store = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster(CLUSTER).build());
        echo = Manifests.parse(new String(TwoReplicasIT.class.getClassLoader()
                .getResourceAsStream(Manifests.contractResource("echo.v1")).readAllBytes(), StandardCharsets.UTF_8),
                ContractManifest.class, "echo.v1");
        int providerPort = freePort();
        int consumerPort = freePort();
        store.run(tx -> {
            for (AccountKey key : List.of(PROVIDER, CONSUMER, USER_MANAGER, SECRETARY)) {
                AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, "it");
            }
            AccountRegistry.designateUserManager(tx, USER_MANAGER.accountId());
            // the user a delegation acts for: a managed user, as the User Manager creates them
            tx.create(AccountRegistry.ACCOUNT, AccountRegistry.key(USER), new AccountRegistry.Account(USER, null,
                    AccountRegistry.Kind.MANAGED_USER, "user", "default", Instant.now()));
            RcbAdmin.registerContract(tx, echo);
            RcbAdmin.createRcb(tx, new Rcb("r-provider", "provider", PROVIDER.accountId(), "sha256:it",
                    List.of(echo.identity()), Map.of()));
            RcbAdmin.createRcb(tx, new Rcb("r-consumer", "consumer", CONSUMER.accountId(), "sha256:it", List.of(),
                    Map.of("echo", List.of(new Rcb.Implementor("r-provider", "provider", PROVIDER.accountId(),
                            Map.of("local", "http://127.0.0.1:" + providerPort))))));
            return null;
        });
        Path keys = Files.createTempDirectory("reside-it-keys");
        Map<String, String> providerEnv = env("r-provider", PROVIDER, keys);
        providerEnv.put("RESIDE_PERMISSIONS_MAX_STALENESS", "5s"); // so that a partition is seen quickly
        provider = ReplicaProcess.start("provider", Path.of(System.getProperty("reside.it.provider")), providerPort,
                providerEnv, Map.of());
        consumer = ReplicaProcess.start("consumer", Path.of(System.getProperty("reside.it.consumer")), consumerPort,
                env("r-consumer", CONSUMER, keys), Map.of());
        provider.awaitReady(Duration.ofSeconds(60));
        consumer.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopCluster() {
        for (AutoCloseable c : new AutoCloseable[] { consumer, provider, store, etcd }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    static Map<String, String> env(String replicaId, AccountKey key, Path dir) throws IOException {
        Path file = dir.resolve(replicaId + ".pem");
        Files.writeString(file, key.toPem());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = new HashMap<>();
        env.put("RESIDE_ETCD_ENDPOINTS", etcd.endpoint());
        env.put("RESIDE_CLUSTER", CLUSTER);
        env.put("RESIDE_CONTROL_BLOCK_ID", replicaId);
        env.put("RESIDE_ACCOUNT_ID", key.accountId());
        env.put("RESIDE_ACCOUNT_KEY_FILE", file.toString());
        env.put("RESIDE_ACCESS_CONTEXT", "local");
        env.put("RESIDE_ETCD_CALL_TIMEOUT", "2s");
        return env;
    }

    static void grantConsumer(boolean granted) {
        store.run(tx -> RcbAdmin.syncGrants(tx, CONSUMER.accountId(), GrantSource.STATIC, granted
                ? List.of(new GrantSpec.PermissionSet("consumer", List.of(new GrantSpec(echo.identity(), "echo:call",
                        null, List.of("r-provider")))))
                : List.of()));
    }

    @Test
    @Order(1)
    void aCallSucceedsOnceGrantedAndIsRefusedWithin500msOfTheRevocation() {
        assertThat(drive("hello").path("code").asText()).isEqualTo("permission-denied");
        grantConsumer(true);
        await().atMost(Duration.ofSeconds(15)).until(() -> drive("hello").path("ok").asBoolean());
        JsonNode ok = drive("hello");
        assertThat(ok.path("text").asText()).isEqualTo("hello");
        assertThat(ok.path("madeBy").asText()).isEqualTo(CONSUMER.accountId());

        grantConsumer(false);
        long revoked = System.nanoTime();
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20))
                .until(() -> "permission-denied".equals(drive("hello").path("code").asText()));
        System.out.printf("revocation enforced %d ms after its commit%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revoked));
        grantConsumer(true);
        await().atMost(Duration.ofSeconds(15)).until(() -> drive("again").path("ok").asBoolean());
    }

    @Test
    @Order(2)
    void eachBadProofIsRefusedWithItsOwnReason() throws Exception {
        String target = "/rpc/echo.v1/whoAmI";
        byte[] none = new byte[0];
        String good = sign(SECRETARY, PROVIDER.accountId(), "GET", target, none, null, Instant.now());
        assertThat(get(target, good, null).statusCode()).isEqualTo(200);

        String jws = good.substring("Reside ".length());
        String other = sign(STRANGER, PROVIDER.accountId(), "GET", target, none, null, Instant.now())
                .substring("Reside ".length());
        Map<String, String> reasons = new java.util.LinkedHashMap<>();
        reasons.put("forged signature", reason(get(target, "Reside " + jws.substring(0, jws.lastIndexOf('.'))
                + other.substring(other.lastIndexOf('.')), null)));
        reasons.put("expired proof", reason(get(target, sign(SECRETARY, PROVIDER.accountId(), "GET", target, none, null,
                Instant.now().minusSeconds(120)), null)));
        reasons.put("replayed jti", reason(get(target, good, null)));
        reasons.put("wrong audience", reason(get(target, sign(SECRETARY, CONSUMER.accountId(), "GET", target, none,
                null, Instant.now()), null)));
        byte[] signedBody = "{\"text\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        String echoTarget = "/rpc/echo.v1/echo";
        reasons.put("tampered body", reason(send("POST", echoTarget, sign(SECRETARY, PROVIDER.accountId(), "POST",
                echoTarget, signedBody, null, Instant.now()), null,
                "{\"text\":\"b\"}".getBytes(StandardCharsets.UTF_8))));
        reasons.put("unknown account", reason(get(target, sign(STRANGER, PROVIDER.accountId(), "GET", target, none,
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
    void delegationsAreCheckedAndTheProviderSeesTheUserAndTheActor() throws Exception {
        String target = "/rpc/echo.v1/whoAmI";
        byte[] none = new byte[0];
        String untrusted = Delegations.issue(STRANGER, USER, SECRETARY.accountId(), PROVIDER.accountId(),
                Duration.ofMinutes(5), Instant.now());
        assertThat(reason(get(target, sign(SECRETARY, PROVIDER.accountId(), "GET", target, none, untrusted,
                Instant.now()), untrusted))).isEqualTo("delegation-untrusted-issuer");
        String toAnother = Delegations.issue(USER_MANAGER, USER, CONSUMER.accountId(), PROVIDER.accountId(),
                Duration.ofMinutes(5), Instant.now());
        assertThat(reason(get(target, sign(SECRETARY, PROVIDER.accountId(), "GET", target, none, toAnother,
                Instant.now()), toAnother))).isEqualTo("delegation-actor-mismatch");
        String valid = Delegations.issue(USER_MANAGER, USER, SECRETARY.accountId(), PROVIDER.accountId(),
                Duration.ofMinutes(5), Instant.now());
        HttpResponse<String> seen = get(target, sign(SECRETARY, PROVIDER.accountId(), "GET", target, none, valid,
                Instant.now()), valid);
        assertThat(seen.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(seen.body());
        assertThat(body.path("madeBy").asText()).isEqualTo(USER);
        assertThat(body.path("actor").asText()).isEqualTo(SECRETARY.accountId());

        // through the consumer: it calls on behalf of the user, with its own key
        String forConsumer = Delegations.issue(USER_MANAGER, USER, CONSUMER.accountId(), PROVIDER.accountId(),
                Duration.ofMinutes(5), Instant.now());
        store.run(tx -> RcbAdmin.syncGrants(tx, USER, GrantSource.MANUAL, List.of(new GrantSpec.PermissionSet("user",
                List.of(GrantSpec.of(echo.identity(), "echo:call"))))));
        await().atMost(Duration.ofSeconds(15)).until(() -> driveAs("hi", forConsumer).path("ok").asBoolean());
        JsonNode relayed = driveAs("hi", forConsumer);
        assertThat(relayed.path("madeBy").asText()).isEqualTo(USER);
        assertThat(relayed.path("actor").asText()).isEqualTo(CONSUMER.accountId());
    }

    @Test
    @Order(5)
    void aDeadProviderIsAFastTypedUnavailableErrorUntilItReturns() {
        assertThat(drive("before").path("ok").asBoolean()).isTrue();
        provider.kill();
        JsonNode first = drive("down");
        assertThat(first.path("code").asText()).isEqualTo("unavailable");
        // after a few failures the circuit opens: calls fail at once, without trying the dead provider
        await().atMost(Duration.ofSeconds(20)).until(() -> drive("down").path("message").asText()
                .contains("circuit open"));
        JsonNode open = drive("down");
        assertThat(open.path("code").asText()).isEqualTo("unavailable");
        System.out.printf("provider down: first failure after %.1f ms, with the circuit open %.1f ms%n",
                first.path("millis").asDouble(), open.path("millis").asDouble());
        assertThat(open.path("millis").asDouble()).as("a call with the circuit open does not wait")
                .isLessThan(first.path("millis").asDouble() + 1000);

        provider.restart();
        provider.awaitReady(Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("back").path("ok").asBoolean());
    }

    @Test
    @Order(6)
    void bothReplicasGoNotReadyWhileEtcdIsDownAndRecoverByThemselves() {
        long providerPid = provider.pid();
        long consumerPid = consumer.pid();
        assertThat(drive("before the partition").path("ok").asBoolean()).isTrue();
        etcd.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> provider.readiness() == 503 && consumer.readiness() == 503);
        // the provider's checks fail closed once its view of the grants is older than max-staleness (5 s here)
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1))
                .until(() -> drive("during the partition").path("message").asText()
                        .contains("has not heard from etcd"));
        JsonNode refused = drive("during the partition");
        System.out.printf("etcd partition: the provider answers %s: %s%n", refused.path("code").asText(),
                refused.path("message").asText());
        etcd.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> provider.readiness() == 200 && consumer.readiness() == 200);
        assertThat(provider.pid()).isEqualTo(providerPid);
        assertThat(consumer.pid()).isEqualTo(consumerPid);
        // calls go through again, and the consumer's circuit breaker (a window of 4 calls here) is past the refusals
        await().atMost(Duration.ofSeconds(30)).until(() -> java.util.stream.IntStream.range(0, 4)
                .allMatch(i -> drive("after etcd").path("ok").asBoolean()));
    }

    @Test
    @Order(7)
    void sigtermDrainsCallsInFlightAndReleasesTheReconcilerLock() throws Exception {
        CompletableFuture<JsonNode> slow = CompletableFuture.supplyAsync(() -> call(consumer.baseUrl()
                + "/drive/slow?millis=2000"));
        Thread.sleep(500); // the call is in flight in the provider
        int exit = provider.terminate(Duration.ofSeconds(30));
        JsonNode answer = slow.get(30, TimeUnit.SECONDS);
        System.out.printf("SIGTERM: provider exited with %d; the call in flight answered %s%n", exit, answer);
        assertThat(answer.path("ok").asBoolean()).as(answer.toString()).isTrue();
        assertThat(answer.path("text").asText()).isEqualTo("slept 2000");
        // its reconciler released its lock on the way out: taking it does not wait for the lease to expire
        Store quick = Store.connect(StoreConfig.builder().endpoints(etcd.endpoint()).cluster(CLUSTER)
                .lockWaitTimeout(Duration.ofSeconds(1)).build());
        try (quick) {
            String taken = quick.withLock("reconciler/r-provider", lock -> "taken");
            assertThat(taken).isEqualTo("taken");
        }
    }

    // ------------------------------------------------------------------ helpers

    static JsonNode drive(String text) {
        return call(consumer.baseUrl() + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8));
    }

    static JsonNode driveAs(String text, String delegation) {
        return call(consumer.baseUrl() + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8)
                + "&delegation=" + URLEncoder.encode(delegation, StandardCharsets.UTF_8));
    }

    static JsonNode call(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
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
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(provider.baseUrl() + target))
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

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
