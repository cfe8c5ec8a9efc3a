package io.reside.runtime;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.reside.etcd.AlreadyExistsException;
import io.reside.etcd.Store;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.client.RequirementClients;
import io.reside.runtime.greeter.GreeterApi;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.Delegations;
import io.reside.security.Encoding;
import io.reside.security.RequestProofs;
import io.reside.security.Sessions;
import io.reside.testing.EtcdServer;
import io.reside.testing.InjectEtcd;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** Signed RPC calls against a running replica: every check of SPEC 5.4, delegation, sessions, problem JSON. */
@QuarkusTest
@WithTestResource(RcbTestResource.class)
class RpcAuthenticationTest {

    static final AccountKey CALLER = AccountKey.generate();
    static final AccountKey SECRETARY = AccountKey.generate();
    static final AccountKey STRANGER = AccountKey.generate();
    static final String USER = "acc_user" + "a".repeat(24);
    static final String REPLICA = RcbTestResource.REPLICA_KEY.accountId();

    @Inject
    Store store;

    private final List<String> logs = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logs) {
                logs.add(new java.util.logging.SimpleFormatter().formatMessage(r)
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void accounts() {
        java.util.logging.Logger.getLogger("").addHandler(capture);
        for (AccountKey key : List.of(CALLER, SECRETARY)) {
            try {
                store.run(tx -> AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, "test"));
            } catch (AlreadyExistsException e) {
                // registered by an earlier test
            }
        }
    }

    @AfterEach
    void stopCapture() {
        java.util.logging.Logger.getLogger("").removeHandler(capture);
    }

    private String contract() {
        return Contracts.of(GreeterApi.class).identity();
    }

    private void grant(String account, GrantSpec... grants) {
        store.run(tx -> RcbAdmin.syncGrants(tx, account, GrantSource.MANUAL,
                List.of(new GrantSpec.PermissionSet("test", List.of(grants)))));
    }

    private void awaitGranted(String account, String permission, String instance) {
        await().atMost(Duration.ofSeconds(10)).until(() -> checks().isGranted(account, contract(), permission, instance));
    }

    @Inject
    PermissionChecks permissionChecks;

    @Inject
    ReplicaRuntime runtime;

    private PermissionChecks checks() {
        return permissionChecks;
    }

    private static RequestSpecification signed(AccountKey key, String audience, String method, String target,
            byte[] body, String delegation, Instant at) {
        RequestSpecification spec = given().urlEncodingEnabled(false)
                .header("Authorization", RequestProofs.sign(key, audience,
                        new RequestProofs.Request(method, target, body, delegation), at));
        if (delegation != null) {
            spec.header(Delegations.HEADER_NAME, delegation);
        }
        if (body.length > 0) {
            spec.contentType("application/json").body(body);
        }
        return spec;
    }

    private static Response call(RequestSpecification spec, String method, String target) {
        return method.equals("GET") ? spec.get(target) : spec.post(target);
    }

    @Test
    void aSignedCallerGetsThroughAndEveryBrokenProofIs401WithItsReason() {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        String greet = "/rpc/greeter.v1/greet";
        byte[] none = new byte[0];
        signed(CALLER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(200)
                .body(equalTo("greetings"));

        String genuine = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("GET", greet, none, null),
                Instant.now()).substring("Reside ".length());
        String other = RequestProofs.sign(STRANGER, REPLICA, new RequestProofs.Request("GET", greet, none, null),
                Instant.now()).substring("Reside ".length());
        String forged = genuine.substring(0, genuine.lastIndexOf('.')) + other.substring(other.lastIndexOf('.'));
        expect401(given().header("Authorization", "Reside " + forged).get(greet), "signature-invalid");
        expect401(signed(CALLER, REPLICA, "GET", greet, none, null, Instant.now().minusSeconds(120)).get(greet),
                "proof-expired");
        String once = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("GET", greet, none, null),
                Instant.now());
        given().header("Authorization", once).get(greet).then().statusCode(200);
        expect401(given().header("Authorization", once).get(greet), "proof-replayed");
        expect401(signed(CALLER, "acc_someoneelse", "GET", greet, none, null, Instant.now()).get(greet),
                "audience-mismatch");
        byte[] lobby = body("lobby", "ann");
        String enter = "/rpc/greeter.v1/enter";
        String tamperedProof = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("POST", enter, lobby, null),
                Instant.now());
        expect401(given().header("Authorization", tamperedProof).contentType("application/json")
                .body(body("attic", "ann")).post(enter), "body-mismatch");
        expect401(signed(STRANGER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet), "account-unknown");
        expect401(given().get(greet), "proof-missing");
    }

    @Test
    void aDelegationMakesTheUserTheCallerAndTheSecretaryTheActor() {
        grant(USER, GrantSpec.of(contract(), "greet:any"));
        awaitGranted(USER, "greet:any", null);
        String greet = "/rpc/greeter.v1/greet";
        String whoami = "/test/whoami";
        byte[] none = new byte[0];
        String valid = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, USER, SECRETARY.accountId(), REPLICA,
                Duration.ofMinutes(5), Instant.now());
        signed(SECRETARY, REPLICA, "GET", whoami, none, valid, Instant.now()).get(whoami).then().statusCode(200)
                .body(equalTo(USER + " actor=" + SECRETARY.accountId() + " via=proof"));
        signed(SECRETARY, REPLICA, "GET", greet, none, valid, Instant.now()).get(greet).then().statusCode(200);
        // without the delegation the secretary is itself, and holds no grant
        signed(SECRETARY, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(403);

        String fromImpostor = Delegations.issue(STRANGER, USER, SECRETARY.accountId(), REPLICA, Duration.ofMinutes(5),
                Instant.now());
        expect401(signed(SECRETARY, REPLICA, "GET", greet, none, fromImpostor, Instant.now()).get(greet),
                "delegation-untrusted-issuer");
        String forCaller = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, USER, CALLER.accountId(), REPLICA,
                Duration.ofMinutes(5), Instant.now());
        expect401(signed(SECRETARY, REPLICA, "GET", greet, none, forCaller, Instant.now()).get(greet),
                "delegation-actor-mismatch");
        // a token swapped in transit no longer matches the proof's dlh
        String proof = RequestProofs.sign(SECRETARY, REPLICA, new RequestProofs.Request("GET", greet, none, valid),
                Instant.now());
        String another = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, "acc_admin" + "b".repeat(23),
                SECRETARY.accountId(), REPLICA, Duration.ofMinutes(5), Instant.now());
        expect401(given().header("Authorization", proof).header(Delegations.HEADER_NAME, another).get(greet),
                "delegation-not-bound");
    }

    @Test
    void aSessionAfterASignedHandshakeAuthenticatesLaterCalls() throws Exception {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        Opened opened = openSession(CALLER);
        Response offer = opened.offer();
        Sessions.ClientSession session = opened.session();
        String greet = "/rpc/greeter.v1/greet";
        String proof = session.authorization("GET", greet, new byte[0], null);
        given().header("Authorization", proof).get(greet).then().statusCode(200);
        expect401(given().header("Authorization", proof).get(greet), "session-replayed");
        given().header("Authorization", session.authorization("GET", "/test/whoami", new byte[0], null))
                .get("/test/whoami").then().statusCode(200).body(startsWith(CALLER.accountId() + " actor=null via=session"));
        // the offer carried no key material, only the server's ephemeral public key and a signature
        assertThat(offer.asString()).doesNotContain(RcbTestResource.REPLICA_KEY.toPem().split("\n")[1]);

        // a body travels with the proof of its hash: the same proof with another body is refused before it is read
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"),
                GrantSpec.of(contract(), "room:enter", JsonNodeFactory.instance.objectNode().put("room", "lobby")),
                GrantSpec.of(contract(), "room:enter", JsonNodeFactory.instance.objectNode().put("room", "attic")));
        awaitGranted(CALLER.accountId(), "room:enter", "attic");
        String enter = "/rpc/greeter.v1/enter";
        expect401(given().header("Authorization", session.authorization("POST", enter, body("lobby", "ann"), null))
                .contentType("application/json").body(body("attic", "ann")).post(enter), "body-mismatch");
        given().header("Authorization", session.authorization("POST", enter, body("attic", "ann"), null))
                .contentType("application/json").body(body("attic", "ann")).post(enter).then().statusCode(200)
                .body(equalTo("ann entered attic"));
    }

    @Test
    void aSessionEndsWhenItsAccountIsRemovedFromTheRegistry() throws Exception {
        AccountKey leaving = AccountKey.generate();
        store.run(tx -> AccountRegistry.register(tx, leaving.publicKey(), AccountRegistry.Kind.REPLICA, "leaving"));
        // the replica follows the registry through a watch: the new account takes a moment to be known
        await().atMost(Duration.ofSeconds(5))
                .until(() -> runtime.registry().orElseThrow().publicKey(leaving.accountId()).isPresent());
        Sessions.ClientSession session = openSession(leaving).session();
        given().header("Authorization", session.authorization("GET", "/test/whoami", new byte[0], null))
                .get("/test/whoami").then().statusCode(200);

        store.run(tx -> {
            tx.delete(AccountRegistry.key(leaving.accountId()));
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> given()
                .header("Authorization", session.authorization("GET", "/test/whoami", new byte[0], null))
                .get("/test/whoami").statusCode() == 401);
        expect401(given().header("Authorization", session.authorization("GET", "/test/whoami", new byte[0], null))
                .get("/test/whoami"), "account-unknown");
    }

    @Test
    void errorsAreProblemJsonWithStableCodes() {
        String enter = "/rpc/greeter.v1/enter";
        grant(CALLER.accountId(), GrantSpec.of(contract(), "room:enter",
                JsonNodeFactory.instance.objectNode().put("room", "lobby")));
        awaitGranted(CALLER.accountId(), "room:enter", "lobby");
        signed(CALLER, REPLICA, "POST", enter, body("attic", "ann"), null, Instant.now()).post(enter).then()
                .statusCode(403).contentType("application/problem+json")
                .body("code", equalTo("permission-denied"))
                .body("permission", equalTo("room:enter{attic} of " + contract()));
        signed(CALLER, REPLICA, "POST", enter, body("lobby", ""), null, Instant.now()).post(enter).then()
                .statusCode(400).body("code", equalTo("invalid-input"))
                .body("errors[0].field", equalTo("request.who")).body("errors[0].message", equalTo("must not be blank"));
        byte[] broken = "{\"room\":\"lobby\",".getBytes(StandardCharsets.UTF_8);
        signed(CALLER, REPLICA, "POST", enter, broken, null, Instant.now()).post(enter).then()
                .statusCode(400).body("code", equalTo("invalid-input"));
    }

    @Test
    void requirementClientsSignTheirCallsAndReturnTypedErrors() {
        String replica = RcbTestResource.REPLICA_KEY.accountId();
        given().get("/test/call-self").then().statusCode(200)
                .body(equalTo("PermissionDeniedException permission-denied greet:any of " + contract()));
        grant(replica, GrantSpec.of(contract(), "greet:any"));
        awaitGranted(replica, "greet:any", null);
        given().get("/test/call-self").then().statusCode(200).body(equalTo("greetings"));
        // on behalf of a user: the delegation names this replica as the actor
        String token = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, "acc_nobody" + "c".repeat(22), replica,
                replica, Duration.ofMinutes(5), Instant.now());
        given().queryParam("delegation", token).get("/test/call-self").then().statusCode(200)
                .body(startsWith("PermissionDeniedException permission-denied greet:any"));
    }

    @Inject
    RequirementClients clients;

    /**
     * Regression: a Vert.x client driven from threads with no context occasionally never sent a request (ADR 0004).
     * Thousands of calls from plain threads, one after another and side by side, must all be answered.
     */
    @Test
    void requirementCallsFromPlainThreadsAreAllAnswered() throws Exception {
        String replica = RcbTestResource.REPLICA_KEY.accountId();
        grant(replica, GrantSpec.of(contract(), "greet:any"),
                GrantSpec.of(contract(), "room:enter", JsonNodeFactory.instance.objectNode().put("room", "lobby")));
        awaitGranted(replica, "room:enter", "lobby");
        GreeterApi self = clients.client("self", GreeterApi.class);
        GreeterApi.EnterRequest enter = new GreeterApi.EnterRequest("lobby", "ann");
        for (int i = 0; i < 2000; i++) {
            assertThat(self.enter(enter)).isEqualTo("ann entered lobby");
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 250; i++) {
                        String answer = i % 2 == 0 ? self.greet() : self.enter(enter);
                        ok += answer.equals(i % 2 == 0 ? "greetings" : "ann entered lobby") ? 1 : 0;
                    }
                    return ok;
                }));
            }
            for (java.util.concurrent.Future<Integer> run : runs) {
                assertThat(run.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(250);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void metricsHealthAndOpenApiAreServed() {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        signed(CALLER, REPLICA, "GET", "/rpc/greeter.v1/greet", new byte[0], null, Instant.now())
                .get("/rpc/greeter.v1/greet").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("reside_rpc_server_calls_seconds_count{contract=\"greeter.v1\",method=\"greet\","
                + "outcome=\"ok\"");
        // the grant above was applied by a reconciler pass
        java.util.regex.Matcher passes = java.util.regex.Pattern
                .compile("(?m)^reside_reconciler_passes_total(\\{[^}]*})? ([0-9.E]+)$").matcher(metrics);
        assertThat(passes.find()).as("reside_reconciler_passes_total in /q/metrics").isTrue();
        assertThat(Double.parseDouble(passes.group(2))).isGreaterThanOrEqualTo(1);
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);
        assertThat(given().get("/q/openapi").then().statusCode(200).extract().asString())
                .contains("/rpc/greeter.v1/greet").contains("/rpc/greeter.v1/enter")
                .contains("http://greeter.reside.svc:8080"); // RESIDE_ENDPOINT_INTERNAL, as a server
    }

    @Test
    void privateKeysAppearInNoLogResponseOrEtcd() {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        given().get("/test/call-self").then().statusCode(200);
        signed(STRANGER, REPLICA, "GET", "/rpc/greeter.v1/greet", new byte[0], null, Instant.now())
                .get("/rpc/greeter.v1/greet").then().statusCode(401);
        List<String> secrets = new ArrayList<>();
        for (AccountKey key : List.of(RcbTestResource.REPLICA_KEY, RcbTestResource.USER_MANAGER_KEY, CALLER)) {
            String b64 = key.toPem().split("\n")[1];
            secrets.add(b64);
            secrets.add(Encoding.base64url(java.util.Base64.getDecoder().decode(b64)));
        }
        List<String> logged;
        synchronized (logs) {
            logged = List.copyOf(logs);
        }
        String etcd = everythingInEtcd();
        for (String secret : secrets) {
            assertThat(logged).noneMatch(l -> l.contains(secret));
            assertThat(etcd).doesNotContain(secret);
        }
        assertThat(logged).isNotEmpty();
    }

    @InjectEtcd
    EtcdServer etcdServer;

    /** Every key and value of the cluster, as etcd holds them. */
    private String everythingInEtcd() {
        try (io.etcd.jetcd.Client raw = io.etcd.jetcd.Client.builder().endpoints(etcdServer.endpoint()).build()) {
            var prefix = io.etcd.jetcd.ByteSequence.from("/reside/", StandardCharsets.UTF_8);
            var kvs = raw.getKVClient().get(prefix, io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                    .get(10, java.util.concurrent.TimeUnit.SECONDS).getKvs();
            assertThat(kvs).hasSizeGreaterThan(5);
            StringBuilder sb = new StringBuilder();
            kvs.forEach(kv -> sb.append(kv.getKey().toString(StandardCharsets.UTF_8)).append('=')
                    .append(kv.getValue().toString(StandardCharsets.UTF_8)).append('\n'));
            return sb.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] body(String room, String who) {
        return ("{\"room\":\"" + room + "\",\"who\":\"" + who + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private record Opened(Response offer, Sessions.ClientSession session) {
    }

    /** Opens a session as {@code caller}: the signed handshake (answered 200), then the client's side of it. */
    private static Opened openSession(AccountKey caller) throws Exception {
        Sessions.Handshake handshake = new Sessions.Handshake();
        byte[] body = ("{\"ephemeralKey\":\"" + handshake.request().ephemeralKey() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        Response offer = signed(caller, REPLICA, "POST", Sessions.HANDSHAKE_PATH, body, null, Instant.now())
                .post(Sessions.HANDSHAKE_PATH);
        offer.then().statusCode(200);
        return new Opened(offer, handshake.complete(offer.as(Sessions.HandshakeResponse.class), caller.accountId(),
                RcbTestResource.REPLICA_KEY.publicKey()));
    }

    private static void expect401(Response response, String reason) {
        response.then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Reside error=\"" + reason + "\"")
                .body("code", equalTo("unauthenticated")).body("reason", equalTo(reason));
    }
}
