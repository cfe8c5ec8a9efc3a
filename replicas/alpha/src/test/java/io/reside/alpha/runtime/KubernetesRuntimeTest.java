package io.reside.alpha.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.quarkus.runtime.configuration.DurationConverter;
import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.service.Records;
import io.reside.model.manifest.ReplicaManifest;
import io.reside.security.AccountKey;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The Kubernetes runtime against the fabric8 mock server in CRUD mode (which has no server-side apply: objects are
 * written get-then-create-or-update here; {@link ServerSideApplyTest} checks the apply requests). The test plays
 * the controllers' part: it sets the status a kubelet would report.
 */
class KubernetesRuntimeTest {

    static final String DIGEST = "sha256:" + "ab".repeat(32);
    static final AtomicInteger NAMESPACES = new AtomicInteger();

    static KubernetesMockServer server;
    static KubernetesClient client;

    KubernetesRuntime runtime;
    String ns;

    @BeforeAll
    static void startServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    @AfterAll
    static void stopServer() {
        client.close();
        server.destroy();
    }

    @AfterEach
    void closeRuntime() {
        if (runtime != null) {
            runtime.close();
        }
    }

    static AlphaConfig config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(AlphaConfig.class).withDefaultValues(values).build().getConfigMapping(AlphaConfig.class);
    }

    /** A runtime in a namespace of its own. */
    private KubernetesRuntime start(Map<String, String> settings) {
        ns = "t" + NAMESPACES.incrementAndGet();
        Map<String, String> values = new HashMap<>(Map.of("alpha.kubernetes.namespace", ns,
                "alpha.kubernetes.apply", "create-or-update",
                "alpha.kubernetes.ingress.external-url", "https://reside.example.org/"));
        values.putAll(settings);
        runtime = new KubernetesRuntime(client, config(values), "test", List.of("http://etcd:2379"));
        assertThat(runtime.awaitSynced(Duration.ofSeconds(10))).isTrue();
        return runtime;
    }

    static WorkloadRuntime.Desired desired(String name, AccountKey key, int version, String replicaClass,
            String group, String status) {
        ReplicaManifest m = new ReplicaManifest(1, "localhost:5000/reside/replicas/" + name,
                new ReplicaManifest.Info(name, replicaClass, false, true), Map.of(), Map.of("greeter",
                        new ReplicaManifest.Implementation("localhost:5000/reside/contracts/greeter.v1")),
                Map.of());
        Records.ReplicaRecord r = new Records.ReplicaRecord("r-" + name, name, m.identity(), m, key.accountId(), true,
                group, version, version, Map.of(), Instant.now());
        Records.VersionRecord v = new Records.VersionRecord(r.id(), version, m.identity() + ":1@" + DIGEST, DIGEST, m,
                Map.of(), List.of(), status, null, Instant.now());
        return new WorkloadRuntime.Desired(r, v, true);
    }

    private Deployment deployment(String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    /** Reconciles until {@code done}: the informers see Alpha's own writes a moment later. */
    private Map<String, WorkloadRuntime.Observed> reconcileUntil(List<WorkloadRuntime.Desired> desired,
            java.util.function.Predicate<Map<String, WorkloadRuntime.Observed>> done) {
        var last = new java.util.concurrent.atomic.AtomicReference<Map<String, WorkloadRuntime.Observed>>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            last.set(runtime.reconcile(desired));
            return done.test(last.get());
        });
        return last.get();
    }

    private void markReady(String name) {
        Deployment d = deployment(name);
        d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(1).withAvailableReplicas(1)
                .withObservedGeneration(d.getMetadata().getGeneration()).build());
        client.apps().deployments().inNamespace(ns).resource(d).updateStatus();
    }

    @Test
    void aVersionBecomesADeploymentWithItsSecretServiceAndIngressLabelledAsTheSpecSays() {
        start(Map.of("alpha.kubernetes.image-pull-secret", "registry-login"));
        AccountKey key = AccountKey.generate();
        var d = desired("greeter", key, 3, "long-running", "gpu", "starting");
        runtime.saveKey("greeter", key.accountId(), key);
        var observed = reconcileUntil(List.of(d), o -> deployment("greeter-3") != null);
        assertThat(observed.get(d.key()).status()).isEqualTo("starting");

        Deployment dep = deployment("greeter-3");
        assertThat(dep.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "app.kubernetes.io/managed-by", "reside", "reside.io/replica", "greeter", "reside.io/version", "3"));
        assertThat(dep.getMetadata().getAnnotations()).containsEntry("reside.io/replica-id", "r-greeter")
                .containsKey(Applier.SPEC_HASH);
        assertThat(dep.getSpec().getReplicas()).isEqualTo(1);
        assertThat(dep.getSpec().getSelector().getMatchLabels()).containsEntry("reside.io/version", "3");
        var pod = dep.getSpec().getTemplate().getSpec();
        assertThat(dep.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("reside.io/replica",
                "greeter");
        assertThat(pod.getNodeSelector()).containsExactlyEntriesOf(Map.of("reside.io/placement-group", "gpu"));
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-login");
        var container = pod.getContainers().get(0);
        // pinned by digest: what Alpha validated is what runs
        assertThat(container.getImage()).isEqualTo("localhost:5000/reside/replicas/greeter@" + DIGEST);
        assertThat(container.getEnv()).extracting(EnvVar::getName, EnvVar::getValue).contains(
                org.assertj.core.groups.Tuple.tuple("RESIDE_ETCD_ENDPOINTS", "http://etcd:2379"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_CLUSTER", "test"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_CONTROL_BLOCK_ID", "r-greeter"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_ACCOUNT_ID", key.accountId()),
                org.assertj.core.groups.Tuple.tuple("RESIDE_ACCOUNT_KEY_FILE", "/var/run/reside/account/key.pem"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_ACCESS_CONTEXT", "internal"),
                org.assertj.core.groups.Tuple.tuple("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"));
        assertThat(container.getEnv()).noneMatch(e -> e.getValue() != null && e.getValue().contains("PRIVATE KEY"));
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("greeter"));

        Secret secret = client.secrets().inNamespace(ns).withName("greeter").get();
        assertThat(secret.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "app.kubernetes.io/managed-by", "reside", "reside.io/replica", "greeter"));
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("reside.io/account", key.accountId());
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("key.pem")), StandardCharsets.UTF_8))
                .isEqualTo(key.toPem());

        var service = client.services().inNamespace(ns).withName("greeter").get();
        assertThat(service.getMetadata().getLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "app.kubernetes.io/managed-by", "reside", "reside.io/replica", "greeter"));
        assertThat(service.getSpec().getSelector()).containsEntry("reside.io/replica", "greeter");
        assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(80);
        Ingress ingress = client.network().v1().ingresses().inNamespace(ns).withName("greeter").get();
        var path = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0);
        assertThat(path.getPath()).isEqualTo("/replicas/greeter(/|$)(.*)");
        assertThat(path.getBackend().getService().getName()).isEqualTo("greeter");
        assertThat(ingress.getMetadata().getAnnotations()).containsEntry(
                "nginx.ingress.kubernetes.io/rewrite-target", "/$2");

        // the kubelet reports it ready: running, with its endpoints inside and outside the cluster
        markReady("greeter-3");
        observed = reconcileUntil(List.of(d), o -> o.get(d.key()).status().equals("running"));
        assertThat(observed.get(d.key()).endpoints()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "internal", "http://greeter." + ns + ".svc:80",
                "external", "https://reside.example.org/replicas/greeter"));
    }

    @Test
    void driftIsRepairedDeletedObjectsComeBackEditedOnesAreWrittenBackStraysGo() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        var d = desired("echo", key, 1, "long-running", null, "starting");
        runtime.saveKey("echo", key.accountId(), key);
        reconcileUntil(List.of(d), o -> runtime.known().contains(d.key()));

        client.apps().deployments().inNamespace(ns).withName("echo-1").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> !runtime.known().contains(d.key()));
        reconcileUntil(List.of(d), o -> deployment("echo-1") != null);

        Deployment edited = deployment("echo-1");
        edited.getSpec().setReplicas(5);
        edited.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("attacker/image:latest");
        client.apps().deployments().inNamespace(ns).resource(edited).update();
        reconcileUntil(List.of(d), o -> deployment("echo-1").getSpec().getReplicas() == 1);
        assertThat(deployment("echo-1").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("localhost:5000/reside/replicas/echo@" + DIGEST);

        client.services().inNamespace(ns).withName("echo").delete();
        reconcileUntil(List.of(d), o -> client.services().inNamespace(ns).withName("echo").get() != null);

        // an object that carries Alpha's labels but is no version Alpha runs is deleted
        client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata()
                .withName("intruder").withLabels(Map.of("app.kubernetes.io/managed-by", "reside")).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", "x")).endSelector().withNewTemplate()
                .withNewMetadata().withLabels(Map.of("app", "x")).endMetadata().withNewSpec().addNewContainer()
                .withName("x").withImage("x").endContainer().endSpec().endTemplate().endSpec().build()).create();
        reconcileUntil(List.of(d), o -> deployment("intruder") == null);
        assertThat(deployment("echo-1")).isNotNull();
    }

    @Test
    void aVersionNoLongerWantedIsStoppedAndItsServiceGoes() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        var d = desired("gone", key, 2, "long-running", null, "running");
        runtime.saveKey("gone", key.accountId(), key);
        reconcileUntil(List.of(d), o -> runtime.known().contains(d.key()));
        var observed = runtime.reconcile(List.of());
        assertThat(observed.get(d.key()).status()).isEqualTo("stopping");
        await().atMost(Duration.ofSeconds(10)).until(() -> !runtime.known().contains(d.key()));
        reconcileUntil(List.of(), o -> client.services().inNamespace(ns).withName("gone").get() == null
                && client.network().v1().ingresses().inNamespace(ns).withName("gone").get() == null);
        assertThat(deployment("gone-2")).isNull();
        // the key stays until the reconciler deletes it (after the grace period, when no instance has it)
        assertThat(runtime.storedKeys()).containsKey(key.accountId());
        runtime.deleteKey(key.accountId());
        await().atMost(Duration.ofSeconds(10)).until(() -> client.secrets().inNamespace(ns).withName("gone")
                .get() == null);
    }

    @Test
    void eachVersionGetsItsEtcdPasswordInASecretOfItsOwnThatGoesWithIt() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        runtime.saveKey("keeper", key.accountId(), key);
        var v1 = desired("keeper", key, 1, "long-running", null, "running").withEtcd(
                new io.reside.etcd.StoreConfig.Credentials("reside-r-keeper-v1", "pw-one"));
        var v2 = desired("keeper", key, 2, "long-running", null, "starting").withEtcd(
                new io.reside.etcd.StoreConfig.Credentials("reside-r-keeper-v2", "pw-two"));
        reconcileUntil(List.of(v1), o -> deployment("keeper-1") != null);
        var secret = client.secrets().inNamespace(ns).withName("keeper-1-etcd").get();
        assertThat(secret.getMetadata().getAnnotations()).containsEntry(KubernetesObjects.ETCD_USER,
                "reside-r-keeper-v1");
        assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("password")),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("pw-one");
        var pod = deployment("keeper-1").getSpec().getTemplate().getSpec();
        var container = pod.getContainers().get(0);
        assertThat(container.getEnv()).extracting(e -> e.getName() + "=" + e.getValue()).contains(
                "RESIDE_ETCD_USERNAME=reside-r-keeper-v1", "RESIDE_ETCD_PASSWORD_FILE=/var/run/reside/etcd/password")
                .noneMatch(e -> e.contains("pw-one"));
        assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("etcd") && v.getSecret().getSecretName()
                .equals("keeper-1-etcd"));
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getName().equals("etcd") && m.getReadOnly());

        // an update: the new version has its own user and Secret; the old Secret goes with the old version
        reconcileUntil(List.of(v2), o -> deployment("keeper-2") != null
                && client.secrets().inNamespace(ns).withName("keeper-1-etcd").get() == null);
        assertThat(client.secrets().inNamespace(ns).withName("keeper-2-etcd").get()).isNotNull();
        // drift: a deleted etcd Secret comes back
        client.secrets().inNamespace(ns).withName("keeper-2-etcd").delete();
        reconcileUntil(List.of(v2), o -> client.secrets().inNamespace(ns).withName("keeper-2-etcd").get() != null);
        assertThat(client.secrets().inNamespace(ns).withName("keeper").get()).as("the key Secret stays").isNotNull();
    }

    @Test
    void aOneshotReplicaIsAJobThatIsNotRunAgainOnceCompleted() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        var d = desired("migrate", key, 1, "oneshot", null, "starting");
        runtime.saveKey("migrate", key.accountId(), key);
        reconcileUntil(List.of(d), o -> client.batch().v1().jobs().inNamespace(ns).withName("migrate-1").get() != null);
        Job job = client.batch().v1().jobs().inNamespace(ns).withName("migrate-1").get();
        assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("OnFailure");
        assertThat(job.getMetadata().getLabels()).containsEntry("reside.io/version", "1");
        job.setStatus(new JobStatusBuilder().withSucceeded(1).build());
        client.batch().v1().jobs().inNamespace(ns).resource(job).updateStatus();
        reconcileUntil(List.of(d), o -> o.get(d.key()).status().equals("completed"));

        // the Job deleted after it completed (say, by a TTL controller) is not created again
        client.batch().v1().jobs().inNamespace(ns).withName("migrate-1").delete();
        var completed = desired("migrate", key, 1, "oneshot", null, "completed");
        await().atMost(Duration.ofSeconds(10)).until(() -> !runtime.known().contains(d.key()));
        assertThat(runtime.reconcile(List.of(completed)).get(d.key()).status()).isEqualTo("completed");
        assertThat(client.batch().v1().jobs().inNamespace(ns).withName("migrate-1").get()).isNull();
    }

    @Test
    void whatThePodsSayBecomesTheVersionsStatus() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        var d = desired("flaky", key, 1, "long-running", "arm", "starting");
        runtime.saveKey("flaky", key.accountId(), key);
        reconcileUntil(List.of(d), o -> runtime.known().contains(d.key()));
        var pod = new PodBuilder().withNewMetadata().withName("flaky-1-abc")
                .withLabels(KubernetesObjects.versionLabels(d)).withAnnotations(Map.of("reside.io/replica-id",
                        "r-flaky"))
                .endMetadata().withNewSpec().addNewContainer().withName("replica").withImage("x").endContainer()
                .endSpec().withNewStatus().addNewCondition().withType("PodScheduled").withStatus("False")
                .withReason("Unschedulable").withMessage("0/3 nodes are available: 3 node(s) didn't match Pod's "
                        + "node affinity/selector")
                .endCondition().endStatus().build();
        client.pods().inNamespace(ns).resource(pod).create();
        var observed = reconcileUntil(List.of(d), o -> o.get(d.key()).status().equals("degraded"));
        assertThat(observed.get(d.key()).message()).startsWith("cannot be scheduled in placement group arm: 0/3 nodes");

        pod.getStatus().setConditions(List.of());
        pod.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("replica")
                .withRestartCount(0).withNewState().withNewWaiting().withReason("ImagePullBackOff")
                .withMessage("Back-off pulling image").endWaiting().endState().build()));
        client.pods().inNamespace(ns).resource(pod).updateStatus();
        observed = reconcileUntil(List.of(d), o -> o.get(d.key()).status().equals("error"));
        assertThat(observed.get(d.key()).message()).isEqualTo("ImagePullBackOff: Back-off pulling image");

        pod.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder().withName("replica")
                .withRestartCount(4).withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting()
                .endState().withNewLastState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated()
                .endLastState().build()));
        client.pods().inNamespace(ns).resource(pod).updateStatus();
        observed = reconcileUntil(List.of(d), o -> o.get(d.key()).status().equals("degraded"));
        assertThat(observed.get(d.key()).message()).isEqualTo("restarted 4 times; last exit 1 (Error) (kubectl -n "
                + ns + " logs flaky-1-abc --previous)");
        // no longer wanted: its Deployment goes, and while its pod still exists the version is stopping, and known
        reconcileUntil(List.of(), o -> deployment("flaky-1") == null);
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.reconcile(List.of()).containsKey(d.key())
                && client.apps().deployments().inNamespace(ns).list().getItems().isEmpty());
        assertThat(runtime.reconcile(List.of()).get(d.key()).status()).isEqualTo("stopping");
        assertThat(runtime.known()).contains(d.key());
    }

    @Test
    void aVersionWhoseKeySecretIsGoneSaysSoAndStrayKeylessSecretsGo() {
        start(Map.of());
        AccountKey key = AccountKey.generate();
        var d = desired("lost", key, 1, "long-running", null, "starting");
        var observed = runtime.reconcile(List.of(d));
        assertThat(observed.get(d.key()).status()).isEqualTo("error");
        assertThat(observed.get(d.key()).message()).contains("Secret lost with the key of account "
                + key.accountId() + " is missing").contains("unload the replica and load it again");
        assertThat(deployment("lost-1")).isNull();

        client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("stray").withLabels(Map.of("app.kubernetes.io/managed-by", "reside"))
                .endMetadata().build()).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(List.of());
            return client.secrets().inNamespace(ns).withName("stray").get() == null;
        });
    }

    @Test
    void aKeyWrittenAgainUnderTheSameNameIsNotDeletedWithTheOldOne() {
        start(Map.of());
        AccountKey old = AccountKey.generate();
        runtime.saveKey("reused", old.accountId(), old);
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.storedKeys().containsKey(old.accountId()));
        // a new approval writes a new key under the name, while the informer still shows the old one
        AccountKey fresh = AccountKey.generate();
        Secret secret = client.secrets().inNamespace(ns).withName("reused").get();
        secret.getMetadata().getAnnotations().put("reside.io/account", fresh.accountId());
        secret.setData(Map.of("key.pem", Base64.getEncoder().encodeToString(fresh.toPem().getBytes(
                StandardCharsets.UTF_8))));
        client.secrets().inNamespace(ns).resource(secret).update();
        runtime.deleteKey(old.accountId()); // may act on the stale view: guarded by its resourceVersion
        Secret now = client.secrets().inNamespace(ns).withName("reused").get();
        assertThat(now).isNotNull();
        assertThat(now.getMetadata().getAnnotations()).containsEntry("reside.io/account", fresh.accountId());
    }

    @Test
    void podsReachAlphaThroughItsServiceInItsNamespace() {
        start(Map.of());
        assertThat(runtime.selfEndpoints(8080)).containsExactly(Map.entry("internal", "http://alpha." + ns
                + ".svc:8080"));
    }

    @Test
    void theClaimCodeIsASecret() {
        start(Map.of());
        assertThat(runtime.readClaimCode()).isEmpty();
        runtime.writeClaimCode("0123abcd");
        assertThat(runtime.readClaimCode()).contains("0123abcd");
        runtime.writeClaimCode("4567ef");
        assertThat(runtime.readClaimCode()).contains("4567ef");
        assertThat(runtime.claimCodeLocation()).contains("Secret reside-claim-code of namespace " + ns);
        // the claim code Secret carries Alpha's labels but is not a stray
        assertThat(runtime.reconcile(List.of())).isEmpty();
        assertThat(runtime.readClaimCode()).contains("4567ef");
        runtime.deleteClaimCode();
        assertThat(runtime.readClaimCode()).isEmpty();
    }

    @Test
    void anUnreachableApiServerMakesTheRuntimeUnavailableNotEmpty() {
        AlphaConfig config = config(Map.of("alpha.kubernetes.namespace", "x"));
        try (KubernetesClient unreachable = new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder().withMasterUrl("http://127.0.0.1:9")
                        .withRequestTimeout(500).withConnectionTimeout(500).build())
                .build()) {
            KubernetesRuntime r = new KubernetesRuntime(unreachable, config, "test", List.of());
            try {
                // nothing is started or stopped on a view that was never read
                assertThatThrownBy(r::known).isInstanceOf(WorkloadRuntime.RuntimeUnavailableException.class)
                        .hasMessageContaining("the Kubernetes API has not been read yet");
                assertThatThrownBy(() -> r.reconcile(List.of())).isInstanceOf(
                        WorkloadRuntime.RuntimeUnavailableException.class);
                assertThat(r.storedKeys()).isEmpty();
            } finally {
                r.close();
            }
        }
    }

    /** A running version that implements {@code implemented} and requires contract → implementor ids. */
    static WorkloadRuntime.Desired wired(String name, List<String> implemented, Map<String, List<String>> requires) {
        Map<String, ReplicaManifest.Implementation> impls = new java.util.TreeMap<>();
        implemented.forEach(c -> impls.put(c.replace(".", "-"), new ReplicaManifest.Implementation(
                "localhost:5000/reside/contracts/" + c)));
        Map<String, ReplicaManifest.Requirement> reqs = new java.util.TreeMap<>();
        Map<String, List<String>> wiring = new java.util.TreeMap<>();
        requires.forEach((c, ids) -> {
            String key = c.replace(".", "-");
            reqs.put(key, new ReplicaManifest.Requirement("localhost:5000/reside/contracts/" + c, false, false,
                    List.of()));
            wiring.put(key, ids);
        });
        ReplicaManifest m = new ReplicaManifest(1, "localhost:5000/reside/replicas/" + name,
                new ReplicaManifest.Info(name, "long-running", false, true), Map.of(), impls, reqs);
        Records.ReplicaRecord r = new Records.ReplicaRecord("r-" + name, name, m.identity(), m, "acc_" + name, true,
                null, 1, 1, Map.of(), Instant.now());
        Records.VersionRecord v = new Records.VersionRecord(r.id(), 1, m.identity() + ":1@" + DIGEST, DIGEST, m,
                wiring, List.of(), "running", null, Instant.now());
        return new WorkloadRuntime.Desired(r, v, !implemented.isEmpty());
    }

    private NetworkPolicy policy(String name) {
        return client.network().v1().networkPolicies().inNamespace(ns).withName(name).get();
    }

    /** The label values of the pods a rule's peers select ("alpha" for Alpha's, "ingress:<ns>" for a namespace). */
    private static List<String> peers(List<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer> peers) {
        return peers.stream().map(p -> p.getNamespaceSelector() != null ? "ingress:" + p.getNamespaceSelector()
                .getMatchLabels().get("kubernetes.io/metadata.name")
                : p.getPodSelector().getMatchLabels().getOrDefault(KubernetesObjects.REPLICA, p.getPodSelector()
                        .getMatchLabels().get("app.kubernetes.io/name")))
                .sorted().toList();
    }

    private List<String> ingressFrom(String name) {
        NetworkPolicy p = policy(name);
        return p.getSpec().getIngress().stream().flatMap(r -> peers(r.getFrom()).stream()).sorted().toList();
    }

    private List<String> egressTo(String name) {
        NetworkPolicy p = policy(name);
        return p.getSpec().getEgress().stream().flatMap(r -> r.getTo() == null || r.getTo().isEmpty()
                ? r.getPorts().stream().map(port -> "outside:" + port.getPort().getIntVal())
                : peers(r.getTo()).stream()).sorted().toList();
    }

    @Test
    void networkPoliciesFollowTheWiring() {
        start(Map.of("alpha.kubernetes.network-policies.enabled", "true",
                "alpha.kubernetes.network-policies.ingress-namespace", "ingress-nginx"));
        var users = wired("user-manager", List.of("user-manager.v1"), Map.of("alpha.v1", List.of("alpha")));
        var telegram = wired("telegram", List.of("telegram.v1"), Map.of("user-manager.v1", List.of("r-user-manager")));
        var secretary = wired("alpha-secretary", List.of("telegram-handler.v1"), Map.of("telegram.v1", List.of(
                "r-telegram"), "user-manager.v1", List.of("r-user-manager"), "alpha.v1", List.of("alpha")));
        var lonely = wired("batch", List.of(), Map.of());
        List<WorkloadRuntime.Desired> all = List.of(users, telegram, secretary, lonely);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(all);
            return policy("user-manager") != null && policy("telegram") != null && policy("alpha-secretary") != null
                    && policy("batch") != null;
        });

        NetworkPolicy um = policy("user-manager");
        assertThat(um.getMetadata().getLabels()).containsEntry(KubernetesObjects.MANAGED_BY, "reside");
        assertThat(um.getSpec().getPodSelector().getMatchLabels()).containsEntry(KubernetesObjects.REPLICA,
                "user-manager");
        assertThat(um.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        // who calls the User Manager: its requirers, and people through the Ingress
        assertThat(ingressFrom("user-manager")).containsExactly("alpha-secretary", "ingress:ingress-nginx",
                "telegram");
        // what it calls: etcd and Alpha (it requires alpha.v1)
        assertThat(egressTo("user-manager")).containsExactly("alpha", "etcd");
        assertThat(um.getSpec().getEgress()).anySatisfy(r -> assertThat(r.getPorts()).singleElement().satisfies(
                port -> assertThat(port.getPort().getIntVal()).isEqualTo(2379)));
        // telegram: called by its handler (it requires telegram.v1), calls its handler back, the User Manager and
        // the Bot API outside
        assertThat(ingressFrom("telegram")).containsExactly("alpha-secretary", "ingress:ingress-nginx");
        assertThat(egressTo("telegram")).containsExactly("alpha-secretary", "etcd", "outside:443", "user-manager");
        // the handler: called back by telegram; calls telegram, the User Manager and Alpha; nothing outside
        assertThat(ingressFrom("alpha-secretary")).containsExactly("ingress:ingress-nginx", "telegram");
        assertThat(egressTo("alpha-secretary")).containsExactly("alpha", "etcd", "telegram", "user-manager");
        // a replica that serves nothing and requires nothing: no way in, etcd only out
        assertThat(policy("batch").getSpec().getIngress()).isEmpty();
        assertThat(egressTo("batch")).containsExactly("etcd");

        // a change of wiring: the handler unloaded; its peers' policies lose it, its own policy goes
        List<WorkloadRuntime.Desired> after = List.of(users, telegram, lonely);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(after);
            return policy("alpha-secretary") == null && !ingressFrom("telegram").contains("alpha-secretary");
        });
        assertThat(ingressFrom("telegram")).containsExactly("ingress:ingress-nginx");
        assertThat(egressTo("telegram")).containsExactly("etcd", "outside:443", "user-manager");
        assertThat(ingressFrom("user-manager")).containsExactly("ingress:ingress-nginx", "telegram");

        // drift: an edited policy is written back, a deleted one made again
        NetworkPolicy edited = policy("telegram");
        edited.getSpec().setEgress(List.of());
        client.network().v1().networkPolicies().inNamespace(ns).resource(edited).update();
        client.network().v1().networkPolicies().inNamespace(ns).withName("batch").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(after);
            return policy("batch") != null && !policy("telegram").getSpec().getEgress().isEmpty();
        });
        assertThat(egressTo("telegram")).containsExactly("etcd", "outside:443", "user-manager");
    }

    @Test
    void withoutNetworkPoliciesAlphaRemovesTheOnesItMade() {
        start(Map.of("alpha.kubernetes.network-policies.enabled", "true"));
        var lonely = wired("batch", List.of(), Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(List.of(lonely));
            return policy("batch") != null;
        });
        runtime.close();
        String namespace = ns;
        runtime = new KubernetesRuntime(client, config(Map.of("alpha.kubernetes.namespace", namespace,
                "alpha.kubernetes.apply", "create-or-update")), "test", List.of("http://etcd:2379"));
        assertThat(runtime.awaitSynced(Duration.ofSeconds(10))).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(List.of(lonely));
            return policy("batch") == null;
        });
    }

    @Test
    void aMalformedCallbackIsRefusedAtStart() {
        assertThatThrownBy(() -> start(Map.of("alpha.kubernetes.network-policies.callbacks", "telegram")))
                .hasMessageContaining("alpha.kubernetes.network-policies.callbacks: 'telegram'");
    }

    @Test
    void withTlsEachReplicaServesHttpsWithACertificateOfTheClusterCa() throws Exception {
        start(Map.of("alpha.tls.enabled", "true"));
        // the cluster CA: made by Alpha in the Secret reside-ca, as no bootstrap made one before
        Secret caSecret = client.secrets().inNamespace(ns).withName("reside-ca").get();
        assertThat(caSecret).isNotNull();
        assertThat(caSecret.getMetadata().getLabels()).doesNotContainKey(KubernetesObjects.MANAGED_BY);
        String caPem = decode(caSecret.getData().get("ca.crt"));

        AccountKey key = AccountKey.generate();
        var d = desired("greeter", key, 1, "long-running", null, "starting");
        runtime.saveKey("greeter", key.accountId(), key);
        reconcileUntil(List.of(d), o -> deployment("greeter-1") != null);

        // the Secret: the key untouched, a certificate for the Service names issued by the CA, the CA itself
        Secret secret = client.secrets().inNamespace(ns).withName("greeter").get();
        assertThat(decode(secret.getData().get("key.pem"))).isEqualTo(key.toPem());
        String certPem = decode(secret.getData().get("tls.crt"));
        assertThat(decode(secret.getData().get("ca.crt"))).isEqualTo(caPem);
        java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(certPem
                        .getBytes(StandardCharsets.US_ASCII)));
        assertThat(cert.getSubjectAlternativeNames()).extracting(n -> n.get(1).toString()).contains("greeter",
                "greeter." + ns + ".svc", "greeter." + ns + ".svc.cluster.local", "127.0.0.1");
        assertThat(io.reside.security.CertificateAuthority.fromPem(caPem, decode(caSecret.getData().get("ca.key")))
                .issued(certPem)).isTrue();

        // the pod: HTTPS only on its port, the certificate and the CA from the Secret, probes over HTTPS
        Deployment dep = deployment("greeter-1");
        var container = dep.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getEnv()).extracting(EnvVar::getName, EnvVar::getValue).contains(
                org.assertj.core.groups.Tuple.tuple("QUARKUS_HTTP_SSL_PORT", "8080"),
                org.assertj.core.groups.Tuple.tuple("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled"),
                org.assertj.core.groups.Tuple.tuple("RESIDE_RPC_TLS_CA_FILE", "/var/run/reside/account/ca.crt"),
                // what a handler registers with telegram: the endpoints Alpha publishes, https here
                org.assertj.core.groups.Tuple.tuple("RESIDE_ENDPOINT_INTERNAL", "https://greeter." + ns + ".svc:443"));
        assertThat(container.getEnv()).extracting(EnvVar::getName).doesNotContain("QUARKUS_HTTP_PORT");
        assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
        assertThat(dep.getSpec().getTemplate().getSpec().getVolumes().get(0).getSecret().getItems())
                .extracting(io.fabric8.kubernetes.api.model.KeyToPath::getKey)
                .containsExactly("key.pem", "tls.crt", "tls.key", "ca.crt");
        // the Service on 443, the Ingress to an HTTPS backend, the endpoint https
        assertThat(client.services().inNamespace(ns).withName("greeter").get().getSpec().getPorts().get(0)
                .getPort()).isEqualTo(443);
        assertThat(client.network().v1().ingresses().inNamespace(ns).withName("greeter").get().getMetadata()
                .getAnnotations()).containsEntry("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS");
        markReady("greeter-1");
        var observed = reconcileUntil(List.of(d), o -> "running".equals(o.get(d.key()).status()));
        assertThat(observed.get(d.key()).endpoints()).containsEntry("internal", "https://greeter." + ns
                + ".svc:443");
        assertThat(runtime.selfEndpoints(8080)).containsEntry("internal", "https://alpha." + ns + ".svc:8080");

        // a certificate someone replaced with another CA's is issued again; the key stays
        io.reside.security.CertificateAuthority rogue = io.reside.security.CertificateAuthority.generate("rogue",
                Duration.ofDays(1));
        Secret tampered = client.secrets().inNamespace(ns).withName("greeter").get();
        tampered.getData().put("tls.crt", java.util.Base64.getEncoder().encodeToString(rogue.issue("greeter", List
                .of("greeter"), List.of(), Duration.ofDays(1)).certificatePem().getBytes(StandardCharsets.US_ASCII)));
        client.secrets().inNamespace(ns).resource(tampered).update();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            runtime.reconcile(List.of(d));
            Secret now = client.secrets().inNamespace(ns).withName("greeter").get();
            return io.reside.security.CertificateAuthority.fromPem(caPem, decode(caSecret.getData().get("ca.key")))
                    .issued(decode(now.getData().get("tls.crt")));
        });
        assertThat(decode(client.secrets().inNamespace(ns).withName("greeter").get().getData().get("key.pem")))
                .isEqualTo(key.toPem());

        // a second Alpha reads the same CA
        runtime.close();
        runtime = new KubernetesRuntime(client, config(Map.of("alpha.kubernetes.namespace", ns,
                "alpha.kubernetes.apply", "create-or-update", "alpha.tls.enabled", "true")), "test", List.of(
                        "http://etcd:2379"));
        assertThat(decode(client.secrets().inNamespace(ns).withName("reside-ca").get().getData().get("ca.crt")))
                .isEqualTo(caPem);
    }

    @Test
    void aCaSecretWithoutItsKeyIsRefusedAtStart() {
        String namespace = "t" + NAMESPACES.incrementAndGet();
        client.secrets().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("reside-ca").endMetadata().withData(Map.of("ca.crt", "eA==")).build())
                .create();
        assertThatThrownBy(() -> new KubernetesRuntime(client, config(Map.of("alpha.kubernetes.namespace", namespace,
                "alpha.tls.enabled", "true")), "test", List.of())).hasMessageContaining("must hold ca.crt and ca.key");
    }

    private static String decode(String base64) {
        return new String(java.util.Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }

    @Test
    void replicasGetTheCollectorAndJsonLogs() {
        start(Map.of("alpha.telemetry.otlp-endpoint", "http://otel.monitoring:4318"));
        AccountKey key = AccountKey.generate();
        var d = desired("greeter", key, 1, "long-running", null, "starting");
        runtime.saveKey("greeter", key.accountId(), key);
        reconcileUntil(List.of(d), o -> deployment("greeter-1") != null);
        assertThat(deployment("greeter-1").getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .extracting(EnvVar::getName, EnvVar::getValue).contains(
                        org.assertj.core.groups.Tuple.tuple("QUARKUS_OTEL_SDK_DISABLED", "false"),
                        org.assertj.core.groups.Tuple.tuple("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                                "http://otel.monitoring:4318"),
                        org.assertj.core.groups.Tuple.tuple("QUARKUS_OTEL_RESOURCE_ATTRIBUTES",
                                "reside.replica=greeter,reside.replica-id=r-greeter"),
                        org.assertj.core.groups.Tuple.tuple("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true"),
                        org.assertj.core.groups.Tuple.tuple("quarkus.log.console.json.additional-field.replica.value",
                                "greeter"),
                        org.assertj.core.groups.Tuple.tuple("RESIDE_ENDPOINT_INTERNAL", "http://greeter." + ns
                                + ".svc:80"),
                        org.assertj.core.groups.Tuple.tuple("RESIDE_ENDPOINT_EXTERNAL",
                                "https://reside.example.org/replicas/greeter"));
    }
}
