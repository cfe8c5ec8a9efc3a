package io.reside.runtime;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import io.reside.permissions.GrantKeys;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.GrantStatus;
import io.reside.permissions.Rcb;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.client.RequirementClients;
import io.reside.runtime.greeter.GreeterApi;
import io.reside.security.AccountKey;
import io.reside.security.AccountRegistry;
import io.reside.security.AuthenticationFailure;
import io.reside.security.Delegations;
import io.reside.security.Encoding;
import io.reside.security.RequestProofs;
import io.reside.security.ResponseProofs;
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
    static final String NOBODY = "acc_nobody" + "c".repeat(22);
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
                store.cluster()
                        .run(tx -> AccountRegistry.register(tx, key.publicKey(), AccountRegistry.Kind.REPLICA, "test"));
            } catch (AlreadyExistsException e) {
                // registered by an earlier test
            }
        }
        for (String user : List.of(USER, NOBODY)) {
            try {
                store.cluster().run(tx -> {
                    tx.create(AccountRegistry.ACCOUNT, AccountRegistry.key(user),
                            new AccountRegistry.Account(user, null,
                                    AccountRegistry.Kind.MANAGED_USER, "user", "default", Instant.now()));
                    return null;
                });
            } catch (AlreadyExistsException e) {
                // registered by an earlier test
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.registry().orElseThrow().find(NOBODY).isPresent()
                && runtime.registry().orElseThrow().publicKey(CALLER.accountId()).isPresent());
    }

    @AfterEach
    void stopCapture() {
        java.util.logging.Logger.getLogger("").removeHandler(capture);
    }

    private String contract() {
        return Contracts.of(GreeterApi.class).identity();
    }

    private void grant(String account, GrantSpec... grants) {
        store.cluster().run(tx -> RcbAdmin.syncGrants(tx, account, GrantSource.MANUAL,
                List.of(new GrantSpec.PermissionSet("test", List.of(grants)))));
    }

    private void awaitGranted(String account, String permission, String instance) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> checks().isGranted(account, contract(), permission, instance));
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
        String tamperedProof = RequestProofs.sign(CALLER, REPLICA,
                new RequestProofs.Request("POST", enter, lobby, null),
                Instant.now());
        expect401(given().header("Authorization", tamperedProof).contentType("application/json")
                .body(body("attic", "ann")).post(enter), "body-mismatch");
        expect401(signed(STRANGER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet), "account-unknown");
        expect401(given().get(greet), "proof-missing");
        expect401(given().header("Authorization", "Reside " + "a".repeat(AuthenticationFailure.MAX_HEADER_BYTES))
                .get(greet), "proof-too-large");
        expect401(given().header("Authorization", RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("GET",
                greet, none, null), Instant.now())).header(Delegations.HEADER_NAME, "d".repeat(9000)).get(greet),
                "proof-too-large");
    }

    /** Every endpoint of a replica needs a valid proof unless it is explicitly public; /q stays open. */
    @Test
    void endpointsAreSecureByDefault() {
        expect401(given().get("/test/plain"), "proof-missing");
        expect401(given().header("Authorization", "Reside forged.proof.here").get("/test/plain"), "proof-malformed");
        signed(CALLER, REPLICA, "GET", "/test/plain", new byte[0], null, Instant.now()).get("/test/plain").then()
                .statusCode(200).body(equalTo("plain"));
        given().get("/test/public").then().statusCode(200).body(equalTo("public"));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200);
    }

    @Test
    void aDelegationMustNameAManagedUser() {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        String greet = "/rpc/greeter.v1/greet";
        byte[] none = new byte[0];
        // a delegation naming a replica account, or an account nobody registered, is refused
        for (String subject : List.of(CALLER.accountId(), "acc_" + "z".repeat(32))) {
            String token = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, subject, SECRETARY.accountId(), REPLICA,
                    Duration.ofMinutes(5), Instant.now());
            expect401(signed(SECRETARY, REPLICA, "GET", greet, none, token, Instant.now()).get(greet),
                    "delegation-subject-invalid");
        }
        String managed = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, USER, SECRETARY.accountId(), REPLICA,
                Duration.ofMinutes(5), Instant.now());
        signed(SECRETARY, REPLICA, "GET", "/test/whoami", none, managed, Instant.now()).get("/test/whoami").then()
                .statusCode(200).body(startsWith(USER));
    }

    @Test
    void answersAreAuthenticatedOnBothPaths() throws Exception {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        String greet = "/rpc/greeter.v1/greet";
        byte[] none = new byte[0];
        // the JWS path: signed by the replica's account key, bound to the proof
        String authorization = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("GET", greet, none, null),
                Instant.now());
        Response ok = given().header("Authorization", authorization).get(greet);
        assertThat(ok.statusCode()).isEqualTo(200);
        String jws = authorization.substring("Reside ".length());
        ResponseProofs.Signed signedBy = ResponseProofs.verifySigned(ok.header(ResponseProofs.HEADER_NAME), jws, 200,
                ok.asByteArray(), RcbTestResource.REPLICA_KEY.publicKey()).orElseThrow();
        assertThat(ResponseProofs.verifySigned(ok.header(ResponseProofs.HEADER_NAME), jws, 200,
                "forged".getBytes(StandardCharsets.UTF_8), RcbTestResource.REPLICA_KEY.publicKey())).isEmpty();
        // a refusal of an authenticated caller is signed too
        Response replayed = given().header("Authorization", authorization).get(greet);
        expect401(replayed, "proof-replayed");
        assertThat(ResponseProofs.verifySigned(replayed.header(ResponseProofs.HEADER_NAME), jws, 401,
                replayed.asByteArray(), RcbTestResource.REPLICA_KEY.publicKey())).isPresent();
        // a caller the replica cannot identify gets an answer without authentication: it would sign for anyone
        Response unknown = signed(STRANGER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet);
        expect401(unknown, "account-unknown");
        assertThat(unknown.header(ResponseProofs.HEADER_NAME)).isNull();

        // the session path: the session's MAC, on answers and refusals alike
        Sessions.ClientSession session = openSession(CALLER).session();
        Sessions.ClientSession.Proof proof = session.proof("GET", greet, none, null, Instant.now());
        Response onSession = given().header("Authorization", proof.authorization()).get(greet);
        assertThat(session.verifyResponse(proof.seq(), 200, onSession.asByteArray(),
                onSession.header(ResponseProofs.HEADER_NAME))).isTrue();
        Response again = given().header("Authorization", proof.authorization()).get(greet);
        expect401(again, "session-replayed");
        assertThat(session.verifyResponse(proof.seq(), 401, again.asByteArray(),
                again.header(ResponseProofs.HEADER_NAME))).isTrue();
        // 204: a method without an answer is authenticated over the empty body
        Sessions.ClientSession.Proof ping = session.proof("POST", "/rpc/greeter.v1/ping", none, null, Instant.now());
        Response noContent = given().header("Authorization", ping.authorization()).post("/rpc/greeter.v1/ping");
        assertThat(noContent.statusCode()).isEqualTo(204);
        assertThat(session.verifyResponse(ping.seq(), 204, new byte[0], noContent.header(ResponseProofs.HEADER_NAME)))
                .isTrue();
        // a session this process does not know: signed with the account key, naming this process and its uptime
        String unknownSession = proof.credential().replaceFirst("^[^.]+", Encoding.base64url(new byte[16]));
        Response refused = given().header("Authorization", Sessions.SCHEME + " " + unknownSession).get(greet);
        expect401(refused, "session-unknown");
        ResponseProofs.Signed restart = ResponseProofs.verifySigned(refused.header(ResponseProofs.HEADER_NAME),
                unknownSession, 401, refused.asByteArray(), RcbTestResource.REPLICA_KEY.publicKey()).orElseThrow();
        assertThat(restart.incarnation()).isEqualTo(session.incarnation()).isEqualTo(signedBy.incarnation());
        assertThat(restart.uptimeMillis()).isGreaterThan(0);
    }

    /**
     * A refusal is signed wherever it is made: by a contract method's check, by the default check, by the body check.
     */
    @Test
    void refusalsOfAnIdentifiedCallerAreSignedWhereverTheyAreMade() {
        byte[] none = new byte[0];
        for (String path : List.of("/rpc/greeter.v1/greet", "/test/whoami", "/test/plain", "/reside/grants/mine")) {
            String authorization = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("GET", path, none,
                    null), Instant.now());
            given().header("Authorization", authorization).get(path);
            Response replayed = given().header("Authorization", authorization).get(path);
            expect401(replayed, "proof-replayed");
            assertThat(ResponseProofs.verifySigned(replayed.header(ResponseProofs.HEADER_NAME),
                    authorization.substring("Reside ".length()), 401, replayed.asByteArray(),
                    RcbTestResource.REPLICA_KEY.publicKey())).as(path).isPresent();
        }
        String enter = "/rpc/greeter.v1/enter";
        String tampered = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("POST", enter, body("lobby",
                "ann"), null), Instant.now());
        Response mismatch = given().header("Authorization", tampered).contentType("application/json")
                .body(body("attic", "ann")).post(enter);
        expect401(mismatch, "body-mismatch");
        assertThat(ResponseProofs.verifySigned(mismatch.header(ResponseProofs.HEADER_NAME),
                tampered.substring("Reside ".length()), 401, mismatch.asByteArray(),
                RcbTestResource.REPLICA_KEY.publicKey())).isPresent();
    }

    @Test
    void anUnauthenticatedCallerGets401BeforeItsBodyIsParsed() {
        String enter = "/rpc/greeter.v1/enter";
        byte[] broken = "{\"room\":".getBytes(StandardCharsets.UTF_8);
        expect401(given().contentType("application/json").body(broken).post(enter), "proof-missing");
        expect401(given().contentType("application/json").body(body("lobby", "")).post(enter), "proof-missing");
        expect401(signed(STRANGER, REPLICA, "POST", enter, broken, null, Instant.now()).post(enter), "account-unknown");
        expect401(given().header("Authorization", "Reside nonsense").contentType("application/json").body(broken)
                .post(enter), "proof-malformed");
    }

    /** The body is checked wherever it is read, also when no header announces it (chunked, or none at all). */
    @Test
    void aBodyIsCheckedWhateverItsHeadersSay() throws Exception {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "room:enter",
                JsonNodeFactory.instance.objectNode().put("room", "lobby")));
        awaitGranted(CALLER.accountId(), "room:enter", "lobby");
        String enter = "/rpc/greeter.v1/enter";
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        // a proof for an empty body, and a body sent in chunks (no Content-Length)
        String forEmpty = RequestProofs.sign(CALLER, REPLICA,
                new RequestProofs.Request("POST", enter, new byte[0], null),
                Instant.now());
        java.net.http.HttpResponse<String> chunked = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + io.restassured.RestAssured.port + enter))
                .header("Authorization", forEmpty).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body("lobby", "eve"))))
                .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(401);
        assertThat(chunked.body()).contains("body-mismatch");
        // the same body, chunked, with its own proof: accepted
        String forBody = RequestProofs.sign(CALLER, REPLICA, new RequestProofs.Request("POST", enter,
                body("lobby", "eve"), null), Instant.now());
        java.net.http.HttpResponse<String> genuine = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + io.restassured.RestAssured.port + enter))
                .header("Authorization", forBody).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body("lobby", "eve"))))
                .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(genuine.statusCode()).as(genuine.body()).isEqualTo(200);
    }

    /** One registered account flooding signed proofs and handshakes is refused alone; another's calls go on. */
    @Test
    void oneAccountFloodingProofsAndHandshakesDoesNotStopAnother() throws Exception {
        AccountKey hostile = AccountKey.generate();
        store.cluster()
                .run(tx -> AccountRegistry.register(tx, hostile.publicKey(), AccountRegistry.Kind.REPLICA, "hostile"));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> runtime.registry().orElseThrow().publicKey(hostile.accountId()).isPresent());
        Sessions.ClientSession friendly = openSession(CALLER).session();
        String whoami = "/test/whoami";
        byte[] none = new byte[0];

        // handshakes: the hostile account keeps only its newest sessions, the friendly session is untouched
        List<Sessions.ClientSession> hostileSessions = new ArrayList<>();
        for (int i = 0; i < 3 * RcbTestResource.SESSION_SHARE; i++) {
            hostileSessions.add(openSession(hostile).session());
        }
        expect401(given().header("Authorization", hostileSessions.get(0).authorization("GET", whoami, none, null))
                .get(whoami), "session-unknown");
        given().header("Authorization", hostileSessions.get(hostileSessions.size() - 1).authorization("GET", whoami,
                none, null)).get(whoami).then().statusCode(200);
        given().header("Authorization", friendly.authorization("GET", whoami, none, null)).get(whoami).then()
                .statusCode(200).body(startsWith(CALLER.accountId()));

        // signed proofs: the hostile account fills its share of the replay cache and is refused alone
        int accepted = 0;
        String refusal = null;
        for (int i = 0; i < 2 * RcbTestResource.REPLAY_SHARE && refusal == null; i++) {
            Response r = signed(hostile, REPLICA, "GET", whoami, none, null, Instant.now()).get(whoami);
            if (r.statusCode() == 200) {
                accepted++;
            } else {
                refusal = r.path("reason");
            }
        }
        assertThat(refusal).isEqualTo("replay-cache-full");
        assertThat(accepted + 3 * RcbTestResource.SESSION_SHARE).isEqualTo(RcbTestResource.REPLAY_SHARE);
        signed(CALLER, REPLICA, "GET", whoami, none, null, Instant.now()).get(whoami).then().statusCode(200);
        given().header("Authorization", friendly.authorization("GET", whoami, none, null)).get(whoami).then()
                .statusCode(200);
        // and the hostile account's own sessions still work: it is refused only what it flooded
        given().header("Authorization", hostileSessions.get(hostileSessions.size() - 1).authorization("GET", whoami,
                none, null)).get(whoami).then().statusCode(200);
    }

    @Test
    void aDeletedOrInvalidRcbFailsEveryCheckClosed() {
        grant(CALLER.accountId(), GrantSpec.of(contract(), "greet:any"));
        awaitGranted(CALLER.accountId(), "greet:any", null);
        String greet = "/rpc/greeter.v1/greet";
        byte[] none = new byte[0];
        signed(CALLER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(200);
        Rcb valid = store.cluster().run(tx -> tx.get(Rcb.TYPE, Rcb.key(RcbTestResource.REPLICA_ID)));
        try {
            // an RCB that does not validate (an id that is not its own)
            store.cluster().run(tx -> {
                tx.put(Rcb.TYPE, Rcb.key(RcbTestResource.REPLICA_ID), new Rcb("r-other", valid.name(),
                        valid.accountId(), valid.manifestDigest(), valid.implementations(), valid.requirements()));
                return null;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> signed(CALLER, REPLICA, "GET", greet, none, null,
                    Instant.now()).get(greet).statusCode() == 403);
            signed(CALLER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(403)
                    .body("code", equalTo("permission-denied"))
                    .body("detail", org.hamcrest.Matchers.containsString("is invalid"))
                    .body("detail", org.hamcrest.Matchers.containsString("refuses every permission"));
            restore(valid, greet);
            // deleted
            store.cluster().run(tx -> {
                tx.delete(Rcb.key(RcbTestResource.REPLICA_ID));
                return null;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> signed(CALLER, REPLICA, "GET", greet, none, null,
                    Instant.now()).get(greet).statusCode() == 403);
            signed(CALLER, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(403)
                    .body("detail", org.hamcrest.Matchers.containsString("was deleted"));
            assertThat(logged()).anyMatch(l -> l.contains(Rcb.key(RcbTestResource.REPLICA_ID))
                    && l.contains("every permission check of this replica fails"));
        } finally {
            restore(valid, greet);
        }
    }

    private void restore(Rcb valid, String greet) {
        store.cluster().run(tx -> {
            tx.put(Rcb.TYPE, Rcb.key(RcbTestResource.REPLICA_ID), valid);
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> signed(CALLER, REPLICA, "GET", greet, new byte[0], null,
                Instant.now()).get(greet).statusCode() == 200);
    }

    private List<String> logged() {
        synchronized (logs) {
            return List.copyOf(logs);
        }
    }

    /** A grant to a group (a realm, every user) holds for each user in it, by the account registry, and only them. */
    @Test
    void aGroupGrantHoldsForTheUsersInTheGroupOnly() {
        String greet = "/rpc/greeter.v1/greet";
        byte[] none = new byte[0];
        java.util.function.Supplier<Integer> asNobody = () -> {
            String delegation = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, NOBODY, SECRETARY.accountId(),
                    REPLICA, Duration.ofMinutes(5), Instant.now());
            return signed(SECRETARY, REPLICA, "GET", greet, none, delegation, Instant.now()).get(greet).statusCode();
        };
        assertThat(asNobody.get()).isEqualTo(403);
        assertThat(checks().granteesOf(NOBODY)).containsExactly(NOBODY, "realm:default", GrantKeys.ALL_USERS);
        assertThat(checks().granteesOf(SECRETARY.accountId())).containsExactly(SECRETARY.accountId());
        try {
            grant(GrantKeys.realmGroup("default"), GrantSpec.of(contract(), "greet:any"));
            await().atMost(Duration.ofSeconds(10)).until(() -> asNobody.get() == 200);
            // a replica is in no realm
            signed(SECRETARY, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(403);
            grant(GrantKeys.realmGroup("default"));
            await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20))
                    .until(() -> asNobody.get() == 403);

            grant(GrantKeys.ALL_USERS, GrantSpec.of(contract(), "greet:any"));
            await().atMost(Duration.ofSeconds(10)).until(() -> asNobody.get() == 200);
            signed(SECRETARY, REPLICA, "GET", greet, none, null, Instant.now()).get(greet).then().statusCode(403);
            assertThat(checks().grantsOf(NOBODY)).extracting(GrantStatus::grantee, GrantStatus::permission)
                    .contains(org.assertj.core.groups.Tuple.tuple(GrantKeys.ALL_USERS, "greet:any"));
        } finally {
            grant(GrantKeys.realmGroup("default"));
            grant(GrantKeys.ALL_USERS);
        }
        await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(20)).until(() -> asNobody.get() == 403);
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
                .get("/test/whoami").then().statusCode(200)
                .body(startsWith(CALLER.accountId() + " actor=null via=session"));
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
        store.cluster()
                .run(tx -> AccountRegistry.register(tx, leaving.publicKey(), AccountRegistry.Kind.REPLICA, "leaving"));
        // the replica follows the registry through a watch: the new account takes a moment to be known
        await().atMost(Duration.ofSeconds(5))
                .until(() -> runtime.registry().orElseThrow().publicKey(leaving.accountId()).isPresent());
        Sessions.ClientSession session = openSession(leaving).session();
        given().header("Authorization", session.authorization("GET", "/test/whoami", new byte[0], null))
                .get("/test/whoami").then().statusCode(200);

        store.cluster().run(tx -> {
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
                .body("errors[0].field", equalTo("request.who")).body("errors[0].message", equalTo("must not be blank"))
                .body("detail", equalTo("invalid request: request.who must not be blank"));
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
        String token = Delegations.issue(RcbTestResource.USER_MANAGER_KEY, NOBODY, replica,
                replica, Duration.ofMinutes(5), Instant.now());
        given().queryParam("delegation", token).get("/test/call-self").then().statusCode(200)
                .body(startsWith("PermissionDeniedException permission-denied greet:any"));
    }

    @Inject
    RequirementClients clients;

    /** A requirement key given in code is checked against the replica's declaration, as the build checks injections. */
    @Test
    void aRequirementKeyTheReplicaDoesNotDeclareIsRefusedByName() {
        assertThatThrownBy(() -> clients.requirement("greter", GreeterApi.class).api())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no requirement 'greter' (declared: self)");
        assertThat(clients.requirement("self", GreeterApi.class).api()).isNotNull();
    }

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
