package io.reside.alpha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.reside.alpha.runtime.KubernetesRuntime;
import io.reside.contracts.alpha.v1.AlphaApi;
import io.reside.harness.LocalCluster;
import io.reside.security.AccountKey;

/**
 * Alpha with {@code alpha.runtime=kubernetes}, from its packaged application, against the fabric8 mock server (CRUD
 * mode, so objects are written get-then-create-or-update): real load requests of real images from a real registry
 * become Deployments, Secrets, Services and Ingresses. The test plays the kubelet: it reports a Deployment ready.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesRuntimeIT {

    static final String NS = "reside";
    static final String TEST_AGENT = "reside-test";
    static MockWebServer web;
    static KubernetesMockServer server;
    static KubernetesClient kube;
    static LocalCluster cluster;
    static String providerImage;
    static String consumerImage;
    static AlphaApi.Replica provider;
    static AlphaApi.Replica consumer;

    @BeforeAll
    static void start() {
        web = new MockWebServer();
        server = new KubernetesMockServer(new Context(), web, new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        // the test's own requests are told apart from Alpha's by their user agent
        kube = new KubernetesClientBuilder().withConfig(new ConfigBuilder(server.createClient().getConfiguration())
                .withUserAgent(TEST_AGENT).build()).build();
        cluster = LocalCluster.start(Path.of(System.getProperty("reside.alpha.app")), Map.of(
                "ALPHA_RUNTIME", "kubernetes",
                "QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", server.url("/"),
                "ALPHA_KUBERNETES_NAMESPACE", NS,
                "ALPHA_KUBERNETES_APPLY", "create-or-update",
                "ALPHA_KUBERNETES_INGRESS_EXTERNAL_URL", "https://reside.example.org",
                "ALPHA_ORPHAN_KEY_GRACE", "2s"), state -> claimCode());
        providerImage = cluster.push(Path.of(System.getProperty("reside.it.provider")), "1");
        consumerImage = cluster.push(Path.of(System.getProperty("reside.it.consumer")), "1");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (kube != null) {
            kube.close();
            server.destroy();
        }
    }

    /** The claim code, where the operator reads it: a Secret. */
    static String claimCode() {
        Secret s = kube.secrets().inNamespace(NS).withName("reside-claim-code").get();
        return new String(Base64.getDecoder().decode(s.getData().get("code")), StandardCharsets.UTF_8);
    }

    static Deployment deployment(String name) {
        return kube.apps().deployments().inNamespace(NS).withName(name).get();
    }

    static Deployment awaitDeployment(String name) {
        return LocalCluster.awaitCondition("Deployment " + name, Duration.ofSeconds(30), () -> deployment(name),
                d -> d != null);
    }

    /** What a kubelet and the Deployment controller would report once its pod is ready. */
    static void markReady(String name) {
        Deployment d = awaitDeployment(name);
        d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(1).withAvailableReplicas(1)
                .withObservedGeneration(d.getMetadata().getGeneration()).build());
        kube.apps().deployments().inNamespace(NS).resource(d).updateStatus();
    }

    /** Every value in etcd, as text. */
    static List<String> everythingInEtcd() {
        ByteSequence all = ByteSequence.from(new byte[] { 0 });
        var root = cluster.store().config().credentials(); // etcd runs with auth on: read as root
        try (Client etcd = Client.builder().endpoints(cluster.etcd().endpoint()).user(ByteSequence.from(root
                .username(), StandardCharsets.UTF_8)).password(ByteSequence.from(root.password(),
                        StandardCharsets.UTF_8))
                .build()) {
            return etcd.getKVClient().get(all, GetOption.builder().withRange(all).build()).get(10, TimeUnit.SECONDS)
                    .getKvs().stream().map(kv -> kv.getValue().toString(StandardCharsets.UTF_8)).toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static AlphaApi.Approval loadAndApprove(AlphaApi.CreateLoadRequest request) {
        AlphaApi.LoadRequest validated = cluster.awaitValidated(cluster.alpha().createLoadRequest(request).id());
        assertThat(validated.status()).as(String.valueOf(validated.error())).isEqualTo("requires-approval");
        return cluster.alpha().approveLoadRequest(new AlphaApi.ApproveLoadRequest(validated.id(), null));
    }

    @Test
    @Order(1)
    void theClaimCodeIsASecretAndIsGoneOnceUsed() {
        // the harness claimed super-admin access with it when the cluster started
        await().atMost(Duration.ofSeconds(10)).until(() -> kube.secrets().inNamespace(NS)
                .withName("reside-claim-code").get() == null);
    }

    @Test
    @Order(2)
    void anApprovedLoadBecomesObjectsAndRunsOnceItsPodIsReady() {
        AlphaApi.Approval approval = loadAndApprove(new AlphaApi.CreateLoadRequest(providerImage, null, null, null));
        String id = approval.version().replicaId();
        Deployment d = awaitDeployment("provider-1");
        assertThat(d.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "app.kubernetes.io/managed-by", "reside", "reside.io/replica", "provider", "reside.io/version", "1"));
        var container = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("localhost:5000/reside/replicas/provider@"
                + approval.version().digest());
        assertThat(container.getEnv()).extracting(EnvVar::getName, EnvVar::getValue).contains(
                org.assertj.core.groups.Tuple.tuple("RESIDE_CONTROL_BLOCK_ID", id),
                org.assertj.core.groups.Tuple.tuple("RESIDE_CLUSTER", "test"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_ETCD_ENDPOINTS", cluster.etcd().endpoint()));
        assertThat(cluster.alpha().getReplica(id).currentVersion().status()).isEqualTo("starting");

        // the key is in the instance's Secret, and nowhere in etcd
        Secret secret = kube.secrets().inNamespace(NS).withName("provider").get();
        String pem = new String(Base64.getDecoder().decode(secret.getData().get("key.pem")), StandardCharsets.UTF_8);
        AlphaApi.Replica replica = cluster.alpha().getReplica(id);
        assertThat(AccountKey.fromPem(pem).accountId()).isEqualTo(replica.accountId());
        String body = pem.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
        assertThat(everythingInEtcd()).isNotEmpty().noneMatch(v -> v.contains("PRIVATE KEY") || v.contains(body));
        assertThat(kube.services().inNamespace(NS).withName("provider").get()).isNotNull();
        assertThat(kube.network().v1().ingresses().inNamespace(NS).withName("provider").get()).isNotNull();

        markReady("provider-1");
        provider = cluster.awaitRunning(id, 1);
        assertThat(provider.endpoints()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "internal", "http://provider." + NS + ".svc:80",
                "external", "https://reside.example.org/replicas/provider"));
    }

    /** Scalable: the new Deployment starts beside the old, which goes only once the new one is ready. */
    @Test
    @Order(3)
    void aScalableUpdateKeepsTheOldDeploymentUntilTheNewOneIsReady() {
        AlphaApi.Approval approval = loadAndApprove(new AlphaApi.CreateLoadRequest(providerImage, null,
                provider.id(), null));
        assertThat(approval.version().id()).isEqualTo(2);
        awaitDeployment("provider-2");
        // not ready yet: the old one keeps serving for as long as it takes (watched for a while)
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < until) {
            assertThat(deployment("provider-1")).as("the old Deployment while the new one is not ready").isNotNull();
        }
        markReady("provider-2");
        provider = cluster.awaitRunning(provider.id(), 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> deployment("provider-1") == null);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.alpha().listVersions(provider.id()).stream()
                .filter(v -> v.id() == 1).allMatch(v -> v.status().equals("stopped")));
    }

    /** Not scalable: the old Deployment is deleted before the new one is created. */
    @Test
    @Order(4)
    void aNonScalableUpdateDeletesTheOldDeploymentFirst() {
        consumer = cluster.alpha().getReplica(loadAndApprove(new AlphaApi.CreateLoadRequest(consumerImage, null,
                null, null)).version().replicaId());
        markReady("consumer-1");
        consumer = cluster.awaitRunning(consumer.id(), 1);
        // it implements no contract method: no Service, no Ingress, no endpoints
        assertThat(kube.services().inNamespace(NS).withName("consumer").get()).isNull();
        assertThat(kube.network().v1().ingresses().inNamespace(NS).withName("consumer").get()).isNull();
        assertThat(consumer.endpoints()).isEmpty();

        List<String> events = Collections.synchronizedList(new ArrayList<>());
        try (Watch watch = kube.apps().deployments().inNamespace(NS).withLabel("reside.io/replica", "consumer")
                .watch(new Watcher<Deployment>() {
                    @Override
                    public void eventReceived(Action action, Deployment resource) {
                        events.add(action + " " + resource.getMetadata().getName());
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                })) {
            // exclusive: loading its image again is an update
            AlphaApi.Approval approval = loadAndApprove(new AlphaApi.CreateLoadRequest(consumerImage, null, null,
                    null));
            assertThat(approval.version().id()).isEqualTo(2);
            markReady("consumer-2");
            consumer = cluster.awaitRunning(consumer.id(), 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADDED consumer-2"));
        }
        assertThat(events).containsSubsequence("DELETED consumer-1", "ADDED consumer-2");
    }

    @Test
    @Order(5)
    void aPlacementGroupBecomesANodeSelector() {
        cluster.alpha().setPlacementGroup(new AlphaApi.SetPlacementGroup(consumer.id(), "gpu"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Map.of("reside.io/placement-group", "gpu").equals(
                deployment("consumer-2").getSpec().getTemplate().getSpec().getNodeSelector()));
    }

    @Test
    @Order(6)
    void driftIsRepaired() {
        kube.services().inNamespace(NS).withName("provider").delete();
        kube.network().v1().ingresses().inNamespace(NS).withName("provider").delete();
        kube.apps().deployments().inNamespace(NS).withName("consumer-2").delete();
        await().atMost(Duration.ofSeconds(30)).until(() -> kube.services().inNamespace(NS).withName("provider")
                .get() != null && kube.network().v1().ingresses().inNamespace(NS).withName("provider").get() != null
                && deployment("consumer-2") != null);
        Deployment edited = deployment("consumer-2");
        edited.getSpec().setReplicas(7);
        kube.apps().deployments().inNamespace(NS).resource(edited).update();
        await().atMost(Duration.ofSeconds(30)).until(() -> deployment("consumer-2").getSpec().getReplicas() == 1);
    }

    @Test
    @Order(7)
    void aDisabledReplicaHasNoDeploymentUntilEnabled() {
        cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(consumer.id(), false));
        await().atMost(Duration.ofSeconds(30)).until(() -> deployment("consumer-2") == null);
        cluster.alpha().setReplicaEnabled(new AlphaApi.SetReplicaEnabled(consumer.id(), true));
        markReady("consumer-2");
        cluster.awaitRunning(consumer.id(), 2);
    }

    @Test
    @Order(8)
    void anUnloadedReplicaLeavesNoObjectBehind() {
        cluster.alpha().unloadReplica(new AlphaApi.UnloadReplica(consumer.id()));
        await().atMost(Duration.ofSeconds(30)).until(() -> deployment("consumer-2") == null
                && kube.services().inNamespace(NS).withName("consumer").get() == null
                && kube.network().v1().ingresses().inNamespace(NS).withName("consumer").get() == null
                && kube.secrets().inNamespace(NS).withName("consumer").get() == null);
        // the provider is untouched
        assertThat(deployment("provider-2")).isNotNull();
        assertThat(kube.secrets().inNamespace(NS).withName("provider").get()).isNotNull();
    }

    /**
     * Alpha updates itself through a load request (SPEC 6.1): the approved version's image goes into Alpha's own
     * Deployment (k8s/base's, not one of Alpha's objects), and the versions' statuses follow the rollout. Here Alpha
     * runs as a process, so the test plays Kubernetes: it makes the Deployment and reports the rollout done.
     */
    @Test
    @Order(9)
    void alphaUpdatesItselfThroughALoadRequest() {
        kube.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder().withNewMetadata().withName("alpha")
                .addToLabels("app.kubernetes.io/name", "alpha").endMetadata().withNewSpec().withReplicas(1)
                .withNewSelector().addToMatchLabels("app.kubernetes.io/name", "alpha").endSelector().withNewTemplate()
                .withNewMetadata().addToLabels("app.kubernetes.io/name", "alpha").endMetadata().withNewSpec()
                .addNewContainer().withName("alpha").withImage("registry.example.org/reside/alpha:1").endContainer()
                .endSpec().endTemplate().endSpec().build()).create();
        String alphaImage = cluster.push(Path.of(System.getProperty("reside.alpha.app")), "2");
        AlphaApi.Approval approval = loadAndApprove(new AlphaApi.CreateLoadRequest(alphaImage, null, null, null));
        assertThat(approval.version().replicaId()).isEqualTo("alpha");
        assertThat(approval.version().id()).isEqualTo(2);

        String wanted = "localhost:5000/reside/replicas/alpha@" + approval.version().digest();
        LocalCluster.awaitCondition("Alpha's Deployment runs the new image", Duration.ofSeconds(30),
                () -> deployment("alpha").getSpec().getTemplate().getSpec().getContainers().get(0).getImage(),
                wanted::equals);
        assertThat(alphaVersionStatus(2)).isEqualTo("starting");

        // Kubernetes rolled it out: the new Alpha is the one that runs
        Deployment d = deployment("alpha");
        d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withUpdatedReplicas(1).withReadyReplicas(1)
                .withAvailableReplicas(1).withObservedGeneration(d.getMetadata().getGeneration()).build());
        kube.apps().deployments().inNamespace(NS).resource(d).updateStatus();
        await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(alphaVersionStatus(2))
                && "stopped".equals(alphaVersionStatus(1)));
        assertThat(cluster.alpha().getReplica("alpha").currentVersionId()).isEqualTo(2);
        // Alpha set the image and took nothing over: the Deployment keeps k8s/base's labels
        assertThat(deployment("alpha").getMetadata().getLabels()).containsOnlyKeys("app.kubernetes.io/name");
    }

    static String alphaVersionStatus(int version) {
        return cluster.alpha().listVersions("alpha").stream().filter(v -> v.id() == version).findFirst()
                .map(AlphaApi.Version::status).orElse(null);
    }

    /**
     * Every request Alpha made to the API server in the tests above, against the Role k8s/base gives it: on a real
     * cluster a request outside it would be refused.
     */
    @Test
    @Order(10)
    void everyRequestAlphaMadeIsAllowedByItsRole() throws InterruptedException {
        List<String> refused = new ArrayList<>();
        Set<String> used = new TreeSet<>();
        int alphas = 0;
        for (RecordedRequest r; (r = web.takeRequest(1, TimeUnit.MILLISECONDS)) != null;) {
            if (TEST_AGENT.equals(r.getHeader("User-Agent"))) {
                continue;
            }
            alphas++;
            ApiRequest request = ApiRequest.of(r.getMethod(), r.getPath());
            if (request.allowedFor(NS)) {
                used.add(request.group() + "/" + request.resource() + ":" + request.verb());
            } else {
                refused.add(r.getMethod() + " " + r.getPath());
            }
        }
        assertThat(alphas).as("requests from Alpha").isPositive();
        assertThat(refused).as("requests the Role does not allow").isEmpty();
        // the tests above exercise every kind Alpha owns
        assertThat(used).contains("apps/deployments:create", "apps/deployments:delete", "apps/deployments:watch",
                "/secrets:create", "/secrets:delete", "/services:create", "networking.k8s.io/ingresses:create",
                "/pods:watch");
    }

    /** A request to the API server as RBAC sees it: the verb on a resource of an API group, in a namespace. */
    record ApiRequest(String group, String resource, String namespace, String verb) {

        static final java.util.regex.Pattern PATH = java.util.regex.Pattern.compile(
                "/(?:api/v1|apis/([^/]+)/[^/]+)(?:/namespaces/([^/]+))?/([^/?]+)(?:/([^/?]+))?(?:/[^?]*)?(\\?.*)?");

        static ApiRequest of(String method, String path) {
            java.util.regex.Matcher m = PATH.matcher(path);
            if (!m.matches()) {
                return new ApiRequest(null, path, null, method);
            }
            boolean named = m.group(4) != null;
            String query = m.group(5) == null ? "" : m.group(5);
            String verb = switch (method) {
                case "GET" -> named ? "get" : query.contains("watch=true") ? "watch" : "list";
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> named ? "delete" : "deletecollection";
                default -> method;
            };
            return new ApiRequest(m.group(1) == null ? "" : m.group(1), m.group(3), m.group(2), verb);
        }

        boolean allowedFor(String ns) {
            return group != null && ns.equals(namespace) && KubernetesRuntime.allowed(group, resource, verb);
        }
    }
}
