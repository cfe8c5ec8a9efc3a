package io.reside.alpha.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.reside.alpha.config.AlphaConfig;
import io.reside.security.AccountKey;

/**
 * The server-side-apply path, which the mock server cannot run (no apply in CRUD mode): checked request by request
 * in expectation mode. What a real API server does with these requests is its own, documented behaviour.
 */
class ServerSideApplyTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    @Test
    void aDeploymentIsAppliedWithFieldManagerResideAlphaForcingConflicts() throws Exception {
        AlphaConfig config = KubernetesRuntimeTest.config(Map.of("alpha.kubernetes.namespace", "prod"));
        assertThat(config.kubernetes().apply()).isEqualTo(AlphaConfig.Kubernetes.ApplyStrategy.SERVER_SIDE_APPLY);
        var desired = KubernetesRuntimeTest.desired("greeter", AccountKey.generate(), 2, "long-running", null,
                "starting");
        Applier applier = new Applier(client, "prod", config.kubernetes().apply());
        // the object the runtime builds
        Deployment deployment = applier.withSpecHash(new KubernetesObjects(config.kubernetes(), "test",
                List.of("http://etcd:2379"), false).deploymentOf(desired, "greeter-2"));
        server.expect().patch().withPath("/apis/apps/v1/namespaces/prod/deployments/greeter-2?fieldManager="
                + "reside-alpha&force=true").andReturn(200, deployment).once();

        Deployment result = applier.ensure(deployment, null);

        assertThat(result.getMetadata().getName()).isEqualTo("greeter-2");
        RecordedRequest request = server.getLastRequest();
        assertThat(request.getMethod()).isEqualTo("PATCH");
        assertThat(request.getPath()).isEqualTo("/apis/apps/v1/namespaces/prod/deployments/greeter-2?fieldManager="
                + "reside-alpha&force=true");
        assertThat(request.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
        JsonNode body = new ObjectMapper().readTree(request.getUtf8Body());
        assertThat(body.path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(body.path("kind").asText()).isEqualTo("Deployment");
        assertThat(body.path("metadata").path("annotations").path(Applier.SPEC_HASH).asText())
                .isEqualTo(Applier.specHash(deployment));
        assertThat(body.path("spec").path("template").path("spec").path("containers").get(0).path("image").asText())
                .isEqualTo("localhost:5000/reside/replicas/greeter@" + KubernetesRuntimeTest.DIGEST);
        assertThat(body).isEqualTo(new ObjectMapper().readTree(client.getKubernetesSerialization().asJson(
                deployment)));

        // applied once and seen again unchanged: nothing more is sent
        int before = server.getRequestCount();
        assertThat(applier.ensure(deployment, result)).isSameAs(result);
        assertThat(server.getRequestCount()).isEqualTo(before);
    }

    @Test
    void aKeySecretIsAppliedToo() throws Exception {
        AlphaConfig config = KubernetesRuntimeTest.config(Map.of("alpha.kubernetes.namespace", "prod"));
        Applier applier = new Applier(client, "prod", config.kubernetes().apply());
        var secret = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("greeter")
                .endMetadata().withData(Map.of("key.pem", "c2VjcmV0")).build();
        server.expect().patch().withPath("/api/v1/namespaces/prod/secrets/greeter?fieldManager=reside-alpha&force="
                + "true").andReturn(200, secret).once();
        applier.write(secret);
        RecordedRequest request = server.getLastRequest();
        assertThat(request.getMethod()).isEqualTo("PATCH");
        assertThat(request.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
        assertThat(new ObjectMapper().readTree(request.getUtf8Body()).path("data").path("key.pem").asText())
                .isEqualTo("c2VjcmV0");
    }
}
