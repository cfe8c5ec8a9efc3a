package io.reside.alpha.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * The deployment in {@code k8s/}: each overlay rendered with {@code kubectl kustomize}, every object parsed into the
 * fabric8 model strictly (a field the model does not know, such as a misspelt {@code readinesProbe}, fails), the
 * invariants that keep it safe checked, and the result applied to the Kubernetes mock server. Alpha started from the
 * rendered configuration is {@code ClusterBootstrapIT}'s (platform/cli).
 */
class KustomizeTest {

    static final String NS = "reside";
    static KubernetesMockServer server;
    static KubernetesClient kube;

    @BeforeAll
    static void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        kube = server.createClient();
    }

    @AfterAll
    static void stop() {
        if (kube != null) {
            kube.close();
        }
        if (server != null) {
            server.destroy();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "local", "production" })
    void overlayRendersToSafeObjects(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        assertThat(objects).extracting(HasMetadata::getKind).contains("Namespace", "ServiceAccount", "Role",
                "RoleBinding", "ConfigMap", "Service", "Deployment", "StatefulSet");

        List<String> unknown = new ArrayList<>();
        for (HasMetadata o : objects) {
            unknownFields(o, o.getKind() + "/" + o.getMetadata().getName(), unknown, new IdentityHashMap<>());
        }
        assertThat(unknown).as("fields the Kubernetes model does not know").isEmpty();

        for (HasMetadata o : objects) {
            String id = o.getKind() + "/" + o.getMetadata().getName();
            Map<String, String> labels = o.getMetadata().getLabels();
            assertThat(labels).as(id).containsEntry("app.kubernetes.io/part-of", "reside");
            // Alpha deletes what carries its label and was not made by it
            assertThat(labels).as(id).doesNotContainEntry(KubernetesObjects.MANAGED_BY, KubernetesObjects.RESIDE);
            if (!(o instanceof Namespace)) {
                assertThat(o.getMetadata().getNamespace()).as(id).isEqualTo(NS);
            }
        }

        for (HasMetadata o : objects) {
            PodTemplateSpec template = o instanceof Deployment d ? d.getSpec().getTemplate()
                    : o instanceof StatefulSet s ? s.getSpec().getTemplate() : null;
            if (template == null) {
                continue;
            }
            String id = o.getKind() + "/" + o.getMetadata().getName();
            Map<String, String> selector = o instanceof Deployment d ? d.getSpec().getSelector().getMatchLabels()
                    : ((StatefulSet) o).getSpec().getSelector().getMatchLabels();
            assertThat(template.getMetadata().getLabels()).as(id + " pods match its selector")
                    .containsAllEntriesOf(selector);
            PodSecurityContext pod = template.getSpec().getSecurityContext();
            assertThat(pod.getRunAsNonRoot()).as(id + " runAsNonRoot").isTrue();
            assertThat(pod.getRunAsUser()).as(id + " runAsUser").isNotNull().isPositive();
            assertThat(pod.getSeccompProfile().getType()).as(id).isEqualTo("RuntimeDefault");
            for (Container c : template.getSpec().getContainers()) {
                String cid = id + " container " + c.getName();
                assertThat(c.getLivenessProbe()).as(cid + " liveness probe").isNotNull();
                assertThat(c.getReadinessProbe()).as(cid + " readiness probe").isNotNull();
                assertThat(c.getResources().getRequests()).as(cid + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(cid + " limits").containsKey("memory");
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(cid + " read-only root").isTrue();
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(cid).isFalse();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(cid).containsExactly("ALL");
                assertThat(c.getSecurityContext().getRunAsUser()).as(cid + " not root").satisfiesAnyOf(
                        u -> assertThat(u).isNull(), u -> assertThat(u).isPositive());
                assertThat(c.getImage()).as(cid + " image").contains(":").doesNotEndWith(":");
            }
        }

        // every Service selects pods that some workload here makes
        List<Map<String, String>> podLabels = objects.stream().map(o -> o instanceof Deployment d ? d.getSpec()
                .getTemplate().getMetadata().getLabels()
                : o instanceof StatefulSet s ? s.getSpec().getTemplate().getMetadata().getLabels() : null)
                .filter(l -> l != null).toList();
        for (Service s : only(objects, Service.class)) {
            assertThat(podLabels).as("pods of Service " + s.getMetadata().getName())
                    .anyMatch(l -> l.entrySet().containsAll(s.getSpec().getSelector().entrySet()));
        }

        // Alpha's Role: exactly what its runtime uses, nothing more
        Role role = one(objects, Role.class, "alpha");
        assertThat(role.getRules()).allSatisfy(r -> {
            assertThat(r.getResourceNames()).as("no resourceNames").isNullOrEmpty();
            assertThat(r.getNonResourceURLs()).as("no non-resource URLs").isNullOrEmpty();
        });
        assertThat(grants(role.getRules().stream().map(r -> new KubernetesRuntime.RbacRule(r.getApiGroups().get(0),
                r.getResources(), r.getVerbs())).toList()))
                .as("the Role's grants against KubernetesRuntime.RBAC_RULES")
                .isEqualTo(grants(KubernetesRuntime.RBAC_RULES));
        assertThat(role.getRules()).allSatisfy(r -> assertThat(r.getApiGroups()).hasSize(1));
        RoleBinding binding = one(objects, RoleBinding.class, "alpha");
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getKind()).isEqualTo("ServiceAccount");
            assertThat(s.getName()).isEqualTo("alpha");
        });
        Deployment alpha = one(objects, Deployment.class, "alpha");
        assertThat(alpha.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("alpha");
        assertThat(alpha.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getSecret()
                .getSecretName()).isEqualTo("alpha"));

        // the configuration: Quarkus property names Alpha reads, naming this namespace's etcd
        ConfigMap config = objects.stream().filter(o -> o instanceof ConfigMap c && c.getMetadata().getName()
                .startsWith("alpha-config")).map(ConfigMap.class::cast).findFirst().orElseThrow();
        assertThat(config.getData().keySet()).allMatch(k -> k.startsWith("alpha.") || k.startsWith("reside.")
                || k.startsWith("quarkus."));
        assertThat(config.getData()).containsEntry("alpha.runtime", "kubernetes")
                .containsEntry("alpha.bootstrap.generate-key", "false");
        StatefulSet etcd = one(objects, StatefulSet.class, "etcd");
        int members = etcd.getSpec().getReplicas();
        assertThat(config.getData().get("reside.etcd.endpoints").split(",")).hasSize(members);
        String initialCluster = etcd.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().stream()
                .filter(a -> a.startsWith("--initial-cluster=")).findFirst().orElseThrow();
        assertThat(initialCluster.split(",")).hasSize(members);

        if (overlay.equals("production")) {
            assertThat(members).isEqualTo(3);
            assertThat(alpha.getSpec().getReplicas()).isEqualTo(2);
            assertThat(etcd.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                    .contains("--peer-client-cert-auth=true").anyMatch(a -> a.startsWith("--listen-peer-urls=https"));
            assertThat(initialCluster).doesNotContain("http://");
            assertThat(etcd.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()).isNotNull();
            assertThat(only(objects, PodDisruptionBudget.class)).extracting(p -> p.getMetadata().getName())
                    .containsExactlyInAnyOrder("etcd", "alpha");
            NetworkPolicy deny = one(objects, NetworkPolicy.class, "default-deny");
            assertThat(deny.getSpec().getPodSelector().getMatchLabels()).isNullOrEmpty();
            assertThat(deny.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
            assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
            assertThat(deny.getSpec().getEgress()).isNullOrEmpty();
            assertThat(only(objects, NetworkPolicy.class)).extracting(p -> p.getMetadata().getName())
                    .containsExactlyInAnyOrder("default-deny", "dns", "etcd", "alpha");
            // the replicas' own policies come from Alpha, derived from their wiring
            assertThat(config.getData()).containsEntry("alpha.kubernetes.network-policies.enabled", "true");
            // RPC over TLS, Alpha's own API too: HTTPS only on its port, probed over HTTPS, its certificate mounted
            assertThat(config.getData()).containsEntry("alpha.tls.enabled", "true")
                    .containsEntry("quarkus.http.insecure-requests", "disabled")
                    .containsEntry("quarkus.http.ssl-port", "8080");
            var alphaPod = alpha.getSpec().getTemplate().getSpec();
            Container a = alphaPod.getContainers().get(0);
            assertThat(List.of(a.getStartupProbe(), a.getReadinessProbe(), a.getLivenessProbe()))
                    .allSatisfy(p -> assertThat(p.getHttpGet().getScheme()).isEqualTo("HTTPS"));
            String certFile = config.getData().get("quarkus.http.ssl.certificate.files");
            String mount = a.getVolumeMounts().stream().filter(m -> certFile.startsWith(m.getMountPath() + "/"))
                    .map(m -> m.getName()).findFirst().orElseThrow(() -> new AssertionError(certFile
                            + " is on no volume"));
            assertThat(alphaPod.getVolumes()).anySatisfy(v -> {
                assertThat(v.getName()).isEqualTo(mount);
                assertThat(v.getSecret().getSecretName()).isEqualTo("alpha-tls");
            });
            assertThat(objects).anyMatch(o -> o instanceof ConfigMap c && c.getData().containsKey(
                    "prometheus-scrape.yaml"));
        } else {
            assertThat(members).isEqualTo(1);
            assertThat(only(objects, NetworkPolicy.class)).isEmpty();
            assertThat(config.getData()).doesNotContainKey("alpha.tls.enabled");
        }

        // the API server takes them all
        kube.namespaces().resource(one(objects, Namespace.class, NS)).createOr(existing -> existing.update());
        for (HasMetadata o : objects) {
            if (!(o instanceof Namespace)) {
                kube.resource(o).inNamespace(NS).createOr(existing -> existing.update());
            }
        }
        for (HasMetadata o : objects) {
            assertThat(o instanceof Namespace ? kube.resource(o).get() : kube.resource(o).inNamespace(NS).get())
                    .as(o.getKind() + "/" + o.getMetadata().getName() + " on the API server").isNotNull();
        }
    }

    @org.junit.jupiter.api.Test
    void strictParsingReportsAFieldTheModelDoesNotKnow() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  template:
                    spec:
                      containers:
                        - name: c
                          readinesProbe: {httpGet: {path: /q/health/ready, port: http}}
                """;
        List<String> unknown = new ArrayList<>();
        for (HasMetadata o : kube.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
            unknownFields(o, "Deployment/x", unknown, new IdentityHashMap<>());
        }
        assertThat(unknown).singleElement().asString().contains("Containers[0]").endsWith(": readinesProbe");
    }

    /** (group, resource, verb) triples. */
    private static Set<String> grants(List<KubernetesRuntime.RbacRule> rules) {
        Set<String> out = new HashSet<>();
        for (KubernetesRuntime.RbacRule r : rules) {
            for (String resource : r.resources()) {
                for (String verb : r.verbs()) {
                    out.add(r.apiGroup() + "/" + resource + ":" + verb);
                }
            }
        }
        return out;
    }

    static List<HasMetadata> render(String overlay) throws IOException, InterruptedException {
        Path dir = k8s().resolve("overlays").resolve(overlay);
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IllegalStateException("kubectl is needed to render k8s/ (kubectl kustomize): install it "
                    + "(https://kubernetes.io/docs/tasks/tools/)", e);
        }
        byte[] yaml = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize " + dir + ": " + err).isZero();
        return kube.load(new ByteArrayInputStream(yaml)).items();
    }

    static Path k8s() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("k8s/base"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no k8s/base above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("k8s");
    }

    private static <T extends HasMetadata> List<T> only(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        List<T> found = only(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
        assertThat(found).as(type.getSimpleName() + "/" + name).hasSize(1);
        return found.get(0);
    }

    /**
     * Fields the model did not know: fabric8 keeps them in {@code additionalProperties} instead of failing, so a
     * strict parse walks the model and reports each one with its path.
     */
    static void unknownFields(Object node, String path, List<String> out, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> c) {
            int i = 0;
            for (Object o : c) {
                unknownFields(o, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!(node instanceof KubernetesResource)) {
            return;
        }
        for (Method method : node.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || !method.getName().startsWith("get")
                    || method.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = method.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (method.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet().stream().map(String::valueOf).collect(Collectors.joining(
                            ", ")));
                }
                continue;
            }
            unknownFields(value, path + "." + method.getName().substring(3), out, seen);
        }
    }
}
