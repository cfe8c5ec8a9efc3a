package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.model.error.ResideException;
import io.reside.security.AccountKey;

/**
 * Alpha from its packaged application, with a real etcd and a real registry: replica images pushed, loaded through
 * load requests, approved, run as child processes, wired and granted; nothing written to etcd by hand.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadRequestsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static LocalCluster cluster;
    static String providerImage;
    static String consumerImage;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")));
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
        consumerImage = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aRequirementWithoutImplementorIsInvalidAndSaysWhatToLoadFirst() {
        AlphaApi.LoadRequest r = cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(consumerImage, null,
                null, null));
        assertThat(r.status()).isEqualTo("validating");
        AlphaApi.LoadRequest validated = cluster.awaitValidated(r.id());
        assertThat(validated.status()).isEqualTo("invalid");
        assertThat(validated.error()).isEqualTo("requirement 'echo' needs an implementor of "
                + "localhost:5000/reside/contracts/echo.v1: load a replica implementing "
                + "localhost:5000/reside/contracts/echo.v1 first");
        // only a request that requires approval can be approved
        assertThatThrownBy(() -> cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(r.id(), null)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class)
                .hasMessageContaining("is invalid: only a request in requires-approval can be approved");
    }

    @Test
    @Order(2)
    void imagesThatCannotBeLoadedAreClear4xxReasons() {
        assertThatThrownBy(() -> cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest("provider", null,
                null, null))).isInstanceOf(ResideException.InvalidInputException.class)
                .hasMessageContaining("it names no registry");
        AlphaApi.LoadRequest missing = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest("localhost:5000/reside/replicas/nope:1", null, null, null)).id());
        assertThat(missing.status()).isEqualTo("invalid");
        assertThat(missing.error()).contains("is not in registry").contains("push it first");
        AlphaApi.LoadRequest contract = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest("localhost:5000/reside/contracts/echo.v1:latest", null, null, null))
                .id());
        assertThat(contract.error()).contains("is a contract image, not a replica");
    }

    @Test
    @Order(3)
    void aLoadedReplicaRunsAndAnotherOneCallsItOnceItsStaticGrantIsApplied() throws Exception {
        provider = cluster.load(providerImage);
        assertThat(provider.name()).isEqualTo("provider");
        assertThat(provider.currentVersion().status()).isEqualTo("running");
        assertThat(provider.currentVersion().digest()).startsWith("sha256:");
        consumer = cluster.load(consumerImage);
        // the consumer's static grant echo:call on the provider, applied by the provider: the call goes through
        await().atMost(Duration.ofSeconds(30)).until(() -> drive("hello").path("ok").asBoolean());
        JsonNode answer = drive("hello");
        assertThat(answer.path("text").asText()).isEqualTo("hello");
        assertThat(answer.path("madeBy").asText()).isEqualTo(consumer.accountId());
        assertThat(cluster.alpha().listReplicas()).extracting(AlphaApi.Replica::name)
                .containsExactly("alpha", "consumer", "provider");
    }

    @Test
    @Order(4)
    void aSecondInstanceGetsTheNextFreeName() {
        AlphaApi.LoadRequest r = cluster.awaitValidated(cluster.alpha().createLoadRequest(
                new AlphaApi.CreateLoadRequest(providerImage, null, null, null)).id());
        assertThat(r.status()).isEqualTo("requires-approval");
        assertThat(r.plan().name()).isEqualTo("provider-1");
        AlphaApi.LoadRequest rejected = cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(r.id(),
                "not needed"));
        assertThat(rejected.status()).isEqualTo("rejected");
        assertThat(rejected.rejectionReason()).isEqualTo("not needed");
        assertThatThrownBy(() -> cluster.alpha().rejectLoadRequest(new AlphaApi.RejectLoadRequest(r.id(), null)))
                .isInstanceOf(ResideException.NotAllowedInStateException.class);
        // the name is free again
        assertThat(cluster.awaitValidated(cluster.alpha().createLoadRequest(new AlphaApi.CreateLoadRequest(
                providerImage, null, null, null)).id()).plan().name()).isEqualTo("provider-1");
    }

    @Test
    @Order(5)
    void withoutThePermissionAnAccountCanDoNothing() {
        AccountKey stranger = AccountKey.generate();
        assertThatThrownBy(() -> cluster.alphaAs(stranger).listReplicas())
                .isInstanceOf(ResideException.OutcomeUnknownException.class); // unknown account: answered unsigned
        assertThatThrownBy(() -> cluster.alphaAs(cluster.operator()).claimSuperAdminAccess(
                new AlphaApi.ClaimSuperAdminAccess("0".repeat(32))))
                .isInstanceOf(ResideException.PermissionDeniedException.class)
                .hasMessageContaining("wrong, or was used already");
    }

    @Test
    @Order(6)
    void anUnloadedProviderIsGoneAndItsCallerLosesTheCall() {
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(provider.id()));
        long unloaded = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !drive("after unload").path("ok").asBoolean());
        System.out.printf("unload: the consumer lost the call %d ms after unloadReplica returned%n",
                (System.nanoTime() - unloaded) / 1_000_000);
        assertThat(cluster.alpha().listReplicas()).extracting(AlphaApi.Replica::name).doesNotContain("provider");
        assertThatThrownBy(() -> cluster.alpha().getReplica(provider.id()))
                .isInstanceOf(ResideException.NotFoundException.class);
    }

    static JsonNode drive(String text) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(consumer.endpoints().get("local")
                    + "/drive/echo?text=" + URLEncoder.encode(text, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
