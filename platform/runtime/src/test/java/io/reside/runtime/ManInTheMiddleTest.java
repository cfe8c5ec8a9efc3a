package io.reside.runtime;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.reside.etcd.Store;
import io.reside.model.error.ResideException;
import io.reside.permissions.Rcb;
import io.reside.runtime.client.Requirement;
import io.reside.runtime.greeter.GreeterApi;

/**
 * A man in the middle between a requirement client and its implementor lets a command through, then lies to the
 * client about it (a forged "replayed" or "unknown session" refusal, a forged success, or no answer at all). The
 * implementor runs it exactly once each time, and the client learns that the outcome is unknown instead of sending
 * it again. The replica calls itself through its requirement {@code self}, whose RCB (this test's fixture, as Alpha
 * would write it) points at the proxy: a single process, so the wire is the test's to control.
 */
@QuarkusTest
@WithTestResource(RcbTestResource.class)
class ManInTheMiddleTest {

    @Inject
    Store store;

    @Inject
    @Requirement("self")
    GreeterApi self;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    /** How many times ping ran to completion on the server (its Micrometer timer). */
    static double pingsRun() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^reside_rpc_server_calls_seconds_count\\{"
                + "contract=\"greeter\\.v1\",method=\"ping\",outcome=\"ok\"[^}]*} ([0-9.E]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** What a ping through the requirement answers: ok, or the error's code. */
    String ping() {
        try {
            self.ping();
            return "ok";
        } catch (ResideException e) {
            return e.code().name();
        }
    }

    void pointSelfAt(String baseUrl) {
        store.cluster().run(tx -> {
            Rcb rcb = tx.get(Rcb.TYPE, Rcb.key(RcbTestResource.REPLICA_ID));
            tx.put(Rcb.TYPE, Rcb.key(RcbTestResource.REPLICA_ID), rcb.withRequirements(Map.of("self", List.of(
                    new Rcb.Implementor(RcbTestResource.REPLICA_ID, "greeter", RcbTestResource.REPLICA_KEY
                            .accountId(), Map.of("local", baseUrl))))));
            return null;
        });
    }

    @Test
    void aCommandThatMayHaveRunIsNeverSentAgain() throws Exception {
        String direct = "http://localhost:" + port;
        try (InterceptingProxy proxy = InterceptingProxy.start(direct)) {
            pointSelfAt(proxy.baseUrl());
            await().atMost(Duration.ofSeconds(15)).until(() -> ping().equals("ok") && proxy.forwardedCommands() > 0);
            for (InterceptingProxy.Lie lie : InterceptingProxy.Lie.values()) {
                double before = pingsRun();
                proxy.lieNext(lie);
                String outcome = ping();
                System.out.printf("man in the middle, %s: the client saw %s%n", lie, outcome);
                assertThat(outcome).as(lie.toString()).isEqualTo("OUTCOME_UNKNOWN");
                assertThat(pingsRun() - before).as(lie + ": times the implementor ran the call").isEqualTo(1);
                // nothing is left broken: calls go through again (once the circuit the lies may have opened closes)
                await().atMost(Duration.ofSeconds(15)).until(() -> ping().equals("ok"));
            }
        } finally {
            pointSelfAt(direct);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> ping().equals("ok"));
    }
}
