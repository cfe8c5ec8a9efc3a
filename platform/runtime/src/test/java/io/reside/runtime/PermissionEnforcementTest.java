package io.reside.runtime;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.reside.etcd.Store;
import io.reside.permissions.GrantSource;
import io.reside.permissions.GrantSpec;
import io.reside.permissions.RcbAdmin;
import io.reside.runtime.greeter.GreeterApi;
import io.reside.runtime.greeter.RoomHooks;

/** Contract methods are checked before they run, from the grants the replica applied. */
@QuarkusTest
@WithTestResource(RcbTestResource.class)
class PermissionEnforcementTest {

    @Inject
    Store store;

    @Inject
    PermissionChecks checks;

    @Inject
    RoomHooks rooms;

    private String contract() {
        return Contracts.of(GreeterApi.class).identity();
    }

    private void grant(String account, GrantSpec... grants) {
        store.cluster().run(tx -> RcbAdmin.syncGrants(tx, account, GrantSource.MANUAL,
                List.of(new GrantSpec.PermissionSet("test", List.of(grants)))));
    }

    private GrantSpec room(String name) {
        return GrantSpec.of(contract(), "room:enter", JsonNodeFactory.instance.objectNode().put("room", name));
    }

    @Test
    void theInjectedStoreIsRootedAtTheReplicasOwnDataPrefix() {
        // docs/adr/0008: a replica's own keys live under data/<replica id>/, the prefix its etcd role allows
        assertThat(store.scope()).isEqualTo("data/" + RcbTestResource.REPLICA_ID + "/");
        assertThat(store.cluster().scope()).isEmpty();
    }

    @Test
    void anonymousCallersGet401AndAuthenticatedOnesReachOpenMethods() {
        given().get("/rpc/greeter.v1/hello").then().statusCode(401);
        given().header("X-Test-Account", "acc_anyone").get("/rpc/greeter.v1/hello").then().statusCode(200)
                .body(equalTo("hello"));
    }

    @Test
    void aPermissionIsNeededAndItsRevocationIsEnforced() {
        given().header("X-Test-Account", "acc_greg").get("/rpc/greeter.v1/greet").then().statusCode(403);
        grant("acc_greg", GrantSpec.of(contract(), "greet:any"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("X-Test-Account", "acc_greg")
                .get("/rpc/greeter.v1/greet").then().statusCode(200).body(equalTo("greetings")));
        grant("acc_greg");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> given().header("X-Test-Account", "acc_greg")
                .get("/rpc/greeter.v1/greet").then().statusCode(403));
    }

    @Test
    void theInstanceComesFromTheRequestBodyOrAParameter() {
        grant("acc_rita", room("lobby"));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> checks.isGranted("acc_rita", contract(), "room:enter", "lobby"));
        given().header("X-Test-Account", "acc_rita").contentType("application/json")
                .body("{\"room\":\"lobby\",\"who\":\"rita\"}").post("/rpc/greeter.v1/enter")
                .then().statusCode(200).body(equalTo("rita entered lobby"));
        given().header("X-Test-Account", "acc_rita").contentType("application/json")
                .body("{\"room\":\"attic\",\"who\":\"rita\"}").post("/rpc/greeter.v1/enter")
                .then().statusCode(403);
        given().header("X-Test-Account", "acc_rita").queryParam("room", "lobby").get("/rpc/greeter.v1/whoIsIn")
                .then().statusCode(200).body(equalTo("nobody in lobby"));
        given().header("X-Test-Account", "acc_rita").queryParam("room", "attic").get("/rpc/greeter.v1/whoIsIn")
                .then().statusCode(403);
        given().header("X-Test-Account", "acc_rita").get("/rpc/greeter.v1/whoIsIn").then().statusCode(400);
        assertThat(rooms.opened()).contains("lobby for acc_rita");
    }

    @Test
    void aCallerCanAskWhichOfItsGrantsAreInForce() {
        grant("acc_mia", room("kitchen"), GrantSpec.of(contract(), "greet:any"));
        await().atMost(Duration.ofSeconds(10)).until(() -> checks.isGranted("acc_mia", contract(), "greet:any", null)
                && checks.isGranted("acc_mia", contract(), "room:enter", "kitchen"));
        given().header("X-Test-Account", "acc_mia").get("/reside/grants/mine").then().statusCode(200)
                .body("size()", equalTo(2))
                .body("find { it.permission == 'room:enter' }.instanceId", equalTo("kitchen"))
                .body("find { it.permission == 'room:enter' }.state", equalTo("CURRENT"))
                .body("find { it.permission == 'greet:any' }.contract", containsString("/contracts/greeter.v1"));
        given().get("/reside/grants/mine").then().statusCode(401);
    }
}
