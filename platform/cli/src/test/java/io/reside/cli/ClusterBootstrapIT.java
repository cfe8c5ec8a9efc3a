package io.reside.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.reside.harness.CliProcess;
import io.reside.security.AccountKey;
import io.reside.security.CertificateAuthority;
import io.reside.testing.EtcdServer;
import io.reside.testing.ReplicaProcess;

/**
 * {@code reside cluster bootstrap k8s/overlays/local} and {@code cluster delete} against the Kubernetes mock server
 * (CRUD mode, so {@code --apply create-or-update}: the mock has no server-side apply). The test plays the kubelet:
 * it reports etcd's StatefulSet ready (a real etcd runs on loopback), and when Alpha's Deployment appears it starts
 * Alpha from its packaged application with exactly the environment the pod would get: the rendered ConfigMap's keys
 * as variable names (envFrom), and the key the CLI wrote to the Secret {@code alpha}; only what differs between a pod
 * and this machine is replaced (etcd's and the API server's addresses, the namespace a pod reads from its service
 * account, the apply strategy). Alpha then runs its Kubernetes runtime against the same mock server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterBootstrapIT {

    private static final Path HOME = Path.of(System.getProperty("reside.home", "../..")).toAbsolutePath()
            .normalize();
    private static final Path CLI = Path.of(System.getProperty("reside.cli.app", "target/quarkus-app"))
            .toAbsolutePath();
    private static final Path OVERLAY = HOME.resolve("k8s/overlays/local");
    private static final String NS = "reside";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KubernetesMockServer server;
    private static KubernetesClient kube;
    private static volatile EtcdServer etcd;
    private static Path dir;
    private static Path config;
    private static Path kubeconfig;
    private static int alphaPort;
    private static Thread kubelet;
    private static volatile boolean stopping;
    private static final AtomicReference<ReplicaProcess> alpha = new AtomicReference<>();
    private static final Map<String, String> alphaEnv = new HashMap<>();

    @BeforeAll
    static void start() throws IOException {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        kube = new KubernetesClientBuilder().withConfig(new ConfigBuilder(server.createClient().getConfiguration())
                .withUserAgent("reside-test").build()).build();
        etcd = EtcdServer.start();
        dir = Files.createTempDirectory("reside-bootstrap-it-");
        config = dir.resolve("config").resolve("config.yaml");
        kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - {name: mock, cluster: {server: '%s'}}
                users:
                - {name: admin, user: {token: not-a-real-token}}
                contexts:
                - {name: mock, context: {cluster: mock, user: admin}}
                - {name: elsewhere, context: {cluster: mock, user: admin}}
                current-context: elsewhere
                """.formatted(server.url("/")));
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            alphaPort = s.getLocalPort();
        }
        kubelet = new Thread(ClusterBootstrapIT::kubelet, "kubelet");
        kubelet.setDaemon(true);
        kubelet.start();
    }

    @AfterAll
    static void stop() throws Exception {
        stopping = true;
        if (kubelet != null) {
            kubelet.join(5000);
        }
        ReplicaProcess a = alpha.getAndSet(null);
        if (a != null) {
            a.close();
        }
        if (etcd != null) {
            etcd.close();
        }
        if (kube != null) {
            kube.close();
            server.destroy();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** What the kubelet and the controllers would do for etcd's StatefulSet and Alpha's Deployment. */
    private static void kubelet() {
        while (!stopping) {
            try {
                StatefulSet etcdSet = kube.apps().statefulSets().inNamespace(NS).withName("etcd").get();
                if (etcdSet != null
                        && (etcdSet.getStatus() == null || etcdSet.getStatus().getReadyReplicas() == null)) {
                    int n = etcdSet.getSpec().getReplicas();
                    etcdSet.setStatus(new StatefulSetStatusBuilder().withReplicas(n).withReadyReplicas(n)
                            .withCurrentReplicas(n).withObservedGeneration(etcdSet.getMetadata().getGeneration())
                            .build());
                    kube.apps().statefulSets().inNamespace(NS).resource(etcdSet).updateStatus();
                }
                Deployment d = kube.apps().deployments().inNamespace(NS).withName("alpha").get();
                ReplicaProcess running = alpha.get();
                if (d == null && running != null) {
                    alpha.set(null);
                    running.close(); // its Deployment was deleted
                } else if (d != null && running == null) {
                    running = startAlpha(d);
                    alpha.set(running);
                    awaitReady(running);
                    reportAvailable();
                } else if (d != null && (d.getStatus() == null || d.getStatus().getObservedGeneration() == null
                        || d.getStatus().getObservedGeneration() < d.getMetadata().getGeneration())) {
                    reportAvailable(); // the Deployment controller saw the new generation (same pod template)
                }
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | IOException e) {
                System.out.println("kubelet: " + e);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static void reportAvailable() {
        Deployment d = kube.apps().deployments().inNamespace(NS).withName("alpha").get();
        d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withUpdatedReplicas(1).withReadyReplicas(1)
                .withAvailableReplicas(1).withObservedGeneration(d.getMetadata().getGeneration()).build());
        kube.apps().deployments().inNamespace(NS).resource(d).updateStatus();
    }

    /**
     * Alpha as its pod would run: the ConfigMap as environment (envFrom), the container's own variables, and each
     * Secret volume "mounted" (written to a directory here; variables naming the mount path point into it).
     */
    private static ReplicaProcess startAlpha(Deployment d) throws IOException {
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().get(0);
        Map<String, String> env = new HashMap<>();
        for (var source : container.getEnvFrom()) {
            env.putAll(kube.configMaps().inNamespace(NS).withName(source.getConfigMapRef().getName()).get().getData());
        }
        container.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
        Map<String, Path> mounts = new HashMap<>();
        Path root = Files.createTempDirectory(dir, "pod-");
        for (VolumeMount m : container.getVolumeMounts()) {
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst()
                    .orElseThrow();
            if (v.getSecret() == null) {
                continue;
            }
            Secret secret = kube.secrets().inNamespace(NS).withName(v.getSecret().getSecretName()).get();
            assertThat(secret).as("Secret " + v.getSecret().getSecretName() + " mounted by Alpha").isNotNull();
            Path local = Files.createDirectories(root.resolve(m.getMountPath().substring(1)));
            Map<String, String> items = new HashMap<>();
            if (v.getSecret().getItems() == null || v.getSecret().getItems().isEmpty()) {
                secret.getData().keySet().forEach(k -> items.put(k, k));
            } else {
                v.getSecret().getItems().forEach(i -> items.put(i.getKey(), i.getPath()));
            }
            for (var item : items.entrySet()) {
                Files.write(local.resolve(item.getValue()), Base64.getDecoder().decode(secret.getData().get(item
                        .getKey())));
            }
            mounts.put(m.getMountPath(), local);
        }
        env.replaceAll((k, v) -> {
            for (var m : mounts.entrySet()) {
                if (v != null && v.startsWith(m.getKey() + "/")) {
                    return m.getValue() + v.substring(m.getKey().length());
                }
            }
            return v;
        });
        assertThat(env).containsKey("reside.account-key-file").containsKey("reside.etcd.endpoints");
        // what differs between a pod and this machine
        env.put("reside.etcd.endpoints", etcd.endpoint());
        env.put("quarkus.kubernetes-client.api-server-url", server.url("/"));
        env.put("alpha.kubernetes.namespace", NS);
        env.put("alpha.kubernetes.apply", "create-or-update");
        if (env.containsKey("quarkus.http.ssl-port")) {
            env.put("quarkus.http.ssl-port", Integer.toString(alphaPort));
        }
        synchronized (alphaEnv) {
            alphaEnv.clear();
            alphaEnv.putAll(env);
        }
        return ReplicaProcess.start("alpha", Path.of(System.getProperty("reside.alpha.app")), alphaPort, env,
                Map.of());
    }

    /** Ready over HTTPS when Alpha serves it (with the CA it trusts), else over HTTP. */
    private static void awaitReady(ReplicaProcess running) throws IOException {
        Map<String, String> env;
        synchronized (alphaEnv) {
            env = Map.copyOf(alphaEnv);
        }
        if (!"disabled".equals(env.get("quarkus.http.insecure-requests"))) {
            running.awaitReady(Duration.ofSeconds(90));
            return;
        }
        java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(CertificateAuthority
                .trusting(Files.readString(Path.of(env.get("reside.rpc.tls.ca-file"))))).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (ReplicaProcess.readiness(https, alphaUrl(true), Duration.ofSeconds(2)) != 200) {
            if (!running.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("Alpha did not become ready over HTTPS:\n" + running.output());
            }
            sleep(Duration.ofMillis(200));
        }
    }

    private static CliProcess.Result reside(String... args) {
        Map<String, String> env = new HashMap<>(Map.of("RESIDE_CONFIG", config.toString(), "KUBECONFIG", kubeconfig
                .toString()));
        env.put("RESIDE_ACCESS_CONTEXT", null);
        CliProcess.Result r = CliProcess.run(CLI, HOME, env, Duration.ofSeconds(180), args);
        System.out.println("$ reside " + String.join(" ", args) + "\n" + r);
        return r;
    }

    private static String alphaUrl() {
        return alphaUrl(false);
    }

    private static String alphaUrl(boolean tls) {
        return (tls ? "https" : "http") + "://127.0.0.1:" + alphaPort;
    }

    @Test
    @Order(1)
    void badInputChangesNothing() {
        CliProcess.Result notAnOverlay = reside("cluster", "bootstrap", HOME.resolve("k8s").toString(),
                "--endpoint", alphaUrl(), "--kube-context", "mock", "--apply", "create-or-update");
        assertThat(notAnOverlay.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(notAnOverlay.err()).contains("is not a kustomize overlay");

        CliProcess.Result noContext = reside("cluster", "bootstrap", OVERLAY.toString(), "--endpoint", alphaUrl(),
                "--kube-context", "nope", "--apply", "create-or-update");
        assertThat(noContext.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noContext.err()).contains("no context 'nope'");

        CliProcess.Result badEndpoint = reside("cluster", "bootstrap", OVERLAY.toString(), "--endpoint", "alpha",
                "--kube-context", "mock");
        assertThat(badEndpoint.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badEndpoint.err()).contains("--endpoint 'alpha'");

        assertThat(kube.namespaces().withName(NS).get()).isNull();
        assertThat(kube.apps().deployments().inAnyNamespace().list().getItems()).isEmpty();
        assertThat(config).doesNotExist();
    }

    @Test
    @Order(2)
    void bootstrapDeploysClaimsAndRecordsTheCluster() throws IOException {
        CliProcess.Result r = reside("cluster", "bootstrap", OVERLAY.toString(), "--endpoint", alphaUrl(),
                "--kube-context", "mock", "--apply", "create-or-update", "--timeout", "PT2M", "-o", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode out = JSON.readTree(r.out());
        assertThat(out.get("cluster").asText()).isEqualTo("local");
        assertThat(out.get("namespace").asText()).isEqualTo(NS);
        assertThat(out.get("kubeContext").asText()).isEqualTo("mock");
        assertThat(out.get("account").asText()).isEqualTo("local-operator");
        assertThat(out.get("granted")).isNotEmpty();
        // progress on standard error, one line per step
        assertThat(r.err()).contains("ok  render", "ok  apply", "ok  etcd", "ok  Alpha", "ok  claim",
                "super-admin access for ");

        // Alpha's account is the key the CLI wrote to the Secret, and Alpha runs with it
        Secret key = kube.secrets().inNamespace(NS).withName("alpha").get();
        String alphaAccount = AccountKey.fromPem(new String(Base64.getDecoder().decode(key.getData().get(
                "key.pem")), StandardCharsets.UTF_8)).accountId();
        assertThat(out.get("alphaAccountId").asText()).isEqualTo(alphaAccount);
        assertThat(key.getMetadata().getLabels()).containsEntry("app.kubernetes.io/part-of", "reside")
                .doesNotContainKey("app.kubernetes.io/managed-by");

        // the rendered configuration, with the operator's key added, is what Alpha started with
        synchronized (alphaEnv) {
            assertThat(alphaEnv).containsEntry("alpha.runtime", "kubernetes").containsEntry("reside.cluster",
                    "local").containsKey("alpha.bootstrap.operator-public-key");
        }
        String yaml = Files.readString(config);
        assertThat(yaml).contains("currentContext: local").contains("namespace: reside").contains(
                "kubeContext: mock").contains(alphaAccount);

        // the context works: cluster info as the new super-admin, Alpha's answers checked against its pinned key
        CliProcess.Result info = reside("cluster", "info", "-o", "json");
        assertThat(info.exitCode()).as(info.toString()).isZero();
        JsonNode i = JSON.readTree(info.out());
        assertThat(i.get("alphaAccountId").asText()).isEqualTo(alphaAccount);
        assertThat(i.get("alphaGrants")).isNotEmpty();

        // Alpha's Kubernetes runtime leaves the objects of k8s/base alone (they do not carry its label)
        sleep(Duration.ofSeconds(3)); // Alpha reconciles every second

        assertThat(kube.apps().deployments().inNamespace(NS).withName("alpha").get()).isNotNull();
        assertThat(kube.services().inNamespace(NS).withName("alpha").get()).isNotNull();
        assertThat(kube.services().inNamespace(NS).withName("etcd").get()).isNotNull();
        assertThat(kube.secrets().inNamespace(NS).withName("alpha").get()).isNotNull();
        assertThat(kube.rbac().roles().inNamespace(NS).withName("alpha").get()).isNotNull();

        // etcd's auth is on: Alpha turned it on as root, with the password the CLI put in the Secret (docs/adr/0008)
        String rootPassword = new String(Base64.getDecoder().decode(key.getData().get("etcd-root-password")),
                StandardCharsets.UTF_8);
        io.reside.etcd.DocType<JsonNode> any = io.reside.etcd.DocType.of("any", JsonNode.class);
        try (io.reside.etcd.Store anonymous = io.reside.etcd.Store.connect(io.reside.etcd.StoreConfig.builder()
                .endpoints(etcd.endpoint()).cluster("local").build());
                io.reside.etcd.Store root = io.reside.etcd.Store.connect(io.reside.etcd.StoreConfig.builder()
                        .endpoints(etcd.endpoint()).cluster("local").credentials("root", rootPassword).build())) {
            io.reside.harness.LocalCluster.awaitCondition("etcd's auth on", Duration.ofSeconds(30), () -> root.auth()
                    .enabled(), on -> on);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> anonymous.find(any, "cluster/layout"))
                    .isInstanceOf(io.reside.etcd.EtcdPermissionDeniedException.class)
                    .hasMessageContaining("auth enabled");
            assertThat(root.find(any, "cluster/layout")).isPresent();
        }
    }

    @Test
    @Order(3)
    void aSecondBootstrapKeepsAlphaAndItsSuperAdmin() throws IOException {
        String before = JSON.readTree(reside("cluster", "info", "-o", "json").out()).get("alphaAccountId").asText();
        // nothing at the endpoint (no port-forward): waited for up to the timeout, then said what to check
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CliProcess.Result nobody = reside("cluster", "bootstrap", OVERLAY.toString(), "--endpoint",
                "http://127.0.0.1:" + closed, "--kube-context", "mock", "--apply", "create-or-update", "--timeout",
                "PT3S");
        assertThat(nobody.exitCode()).as(nobody.toString()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(nobody.err()).contains("does not answer at http://127.0.0.1:" + closed, "port-forward svc/alpha");
        CliProcess.Result r = reside("cluster", "bootstrap", OVERLAY.toString(), "--endpoint", alphaUrl(),
                "--kube-context", "mock", "--apply", "create-or-update", "--timeout", "PT2M");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).contains("claimed earlier by this account");
        assertThat(r.out()).contains("super-admin");
        assertThat(JSON.readTree(reside("cluster", "info", "-o", "json").out()).get("alphaAccountId").asText())
                .isEqualTo(before);
    }

    @Test
    @Order(4)
    void deleteAsksFirstThenRemovesEverythingButTheNamespace() throws IOException {
        CliProcess.Result noTerminal = reside("cluster", "delete");
        assertThat(noTerminal.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noTerminal.err()).contains("--yes");
        assertThat(kube.apps().deployments().inNamespace(NS).withName("alpha").get()).isNotNull();

        CliProcess.Result r = reside("cluster", "delete", "--yes", "-o", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode out = JSON.readTree(r.out());
        assertThat(out.get("deleted").toString()).contains("Deployment/alpha", "StatefulSet/etcd", "Secret/alpha",
                "Role/alpha", "RoleBinding/alpha", "ServiceAccount/alpha", "Service/etcd");
        assertThat(kube.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.apps().statefulSets().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.secrets().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.configMaps().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.rbac().roles().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.namespaces().withName(NS).get()).as("the namespace stays").isNotNull();
        assertThat(Files.readString(config)).doesNotContain("kubeContext");

        CliProcess.Result again = reside("cluster", "delete", "local", "--yes");
        assertThat(again.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);

        // without --keep-data etcd's volumes went with its StatefulSet: the next cluster starts on an empty etcd
        // (whose root password is the next bootstrap's)
        etcd.close();
        etcd = EtcdServer.start();
    }

    /**
     * An overlay of the local one with RPC over TLS (as production has it): bootstrap makes the cluster CA and Alpha's
     * certificate, Alpha serves HTTPS only, and the CLI talks to it trusting that CA, which it keeps beside the
     * configuration.
     */
    @Test
    @Order(5)
    void overTlsBootstrapMakesTheClusterCaAndAlphasCertificate() throws IOException {
        Path overlay = Files.createDirectories(dir.resolve("overlays/secure"));
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: reside
                resources:
                  - %s
                configMapGenerator:
                  - name: alpha-config
                    behavior: merge
                    literals:
                      - reside.cluster=secure
                      - alpha.tls.enabled=true
                      - quarkus.http.ssl-port=8080
                      - quarkus.http.insecure-requests=disabled
                      - quarkus.http.ssl.certificate.files=/var/run/reside/tls/tls.crt
                      - quarkus.http.ssl.certificate.key-files=/var/run/reside/tls/tls.key
                      - reside.rpc.tls.ca-file=/var/run/reside/tls/ca.crt
                patches:
                  - target: {kind: Deployment, name: alpha}
                    patch: |-
                      - op: add
                        path: /spec/template/spec/volumes/-
                        value: {name: tls, secret: {secretName: alpha-tls}}
                      - op: add
                        path: /spec/template/spec/containers/0/volumeMounts/-
                        value: {name: tls, mountPath: /var/run/reside/tls, readOnly: true}
                """.formatted(overlay.relativize(OVERLAY)));
        CliProcess.Result r = reside("cluster", "bootstrap", overlay.toString(), "--endpoint", alphaUrl(true),
                "--kube-context", "mock", "--apply", "create-or-update", "--timeout", "PT2M", "-o", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(JSON.readTree(r.out()).get("cluster").asText()).isEqualTo("secure");

        // the CA: made by the CLI, used by Alpha (which would have made its own had there been none), kept by the CLI
        Secret ca = kube.secrets().inNamespace(NS).withName("reside-ca").get();
        String caPem = new String(Base64.getDecoder().decode(ca.getData().get("ca.crt")), StandardCharsets.US_ASCII);
        Path caFile = dir.resolve("config/clusters/secure-ca.crt");
        assertThat(caFile).hasContent(caPem.strip());
        assertThat(Files.readString(config)).contains("caFile: " + caFile);
        CertificateAuthority clusterCa = CertificateAuthority.fromPem(caPem, new String(Base64.getDecoder().decode(ca
                .getData().get("ca.key")), StandardCharsets.US_ASCII));
        Secret alphaTls = kube.secrets().inNamespace(NS).withName("alpha-tls").get();
        assertThat(clusterCa.issued(new String(Base64.getDecoder().decode(alphaTls.getData().get("tls.crt")),
                StandardCharsets.US_ASCII))).isTrue();

        // the CLI's context works over TLS; plain HTTP to Alpha gets no answer
        CliProcess.Result info = reside("cluster", "info", "-o", "json");
        assertThat(info.exitCode()).as(info.toString()).isZero();
        assertThat(JSON.readTree(info.out()).get("endpoint").asText()).startsWith("https://");
        assertThat(ReplicaProcess.readiness(java.net.http.HttpClient.newHttpClient(), alphaUrl(false), Duration
                .ofSeconds(3))).isEqualTo(-1);

        // a CA file that is gone is a clear error, not a trust of anything
        Files.delete(caFile);
        CliProcess.Result noCa = reside("cluster", "info");
        assertThat(noCa.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noCa.err()).contains("cannot read the CA of cluster 'secure'");
    }

    /**
     * {@code --keep-data} keeps etcd's volumes and the Secrets that belong with its data (Alpha's key and etcd's root
     * password, the cluster CA), so that a bootstrap of the same overlay finds the cluster again; the rest goes.
     */
    @Test
    @Order(6)
    void deleteKeepingTheDataKeepsTheSecretsThatGoWithIt() throws IOException {
        // what etcd's volumeClaimTemplates made
        kube.persistentVolumeClaims().inNamespace(NS)
                .resource(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder().withNewMetadata()
                        .withName("data-etcd-0").addToLabels(
                                "app.kubernetes.io/part-of", "reside")
                        .endMetadata().build())
                .create();
        CliProcess.Result r = reside("cluster", "delete", "secure", "--yes", "--keep-data", "-o", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(JSON.readTree(r.out()).get("dataKept").asBoolean()).isTrue();
        assertThat(kube.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.apps().statefulSets().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(kube.persistentVolumeClaims().inNamespace(NS).withName("data-etcd-0").get()).isNotNull();
        assertThat(kube.secrets().inNamespace(NS).list().getItems()).extracting(x -> x.getMetadata().getName())
                .contains("alpha", "reside-ca");
        assertThat(kube.secrets().inNamespace(NS).withName("alpha").get().getData()).containsKeys("key.pem",
                "etcd-root-password");
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
