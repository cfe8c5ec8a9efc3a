package io.reside.alpha.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPathBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.reside.alpha.config.AlphaConfig;
import io.reside.alpha.runtime.WorkloadRuntime.Desired;
import io.reside.images.ImageReference;

/**
 * The Kubernetes objects of a version and of its instance, as SPEC 6.1 names and labels them; pure functions of the
 * records and {@code alpha.kubernetes.*}, so that every pass builds the same objects (and the same spec hashes).
 */
final class KubernetesObjects {

    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String RESIDE = "reside";
    static final String REPLICA = "reside.io/replica";
    static final String VERSION = "reside.io/version";
    static final String REPLICA_ID = "reside.io/replica-id";
    static final String KEY_DIR = "/var/run/reside/account";
    static final String KEY_ENTRY = "key.pem";
    static final int SERVICE_PORT = 80;
    /** The Service port of a replica that serves HTTPS (alpha.tls.enabled). */
    static final int TLS_SERVICE_PORT = 443;
    /** The entries of a replica's Secret beside its key when RPC runs over TLS. */
    static final String TLS_CERT_ENTRY = "tls.crt";
    static final String TLS_KEY_ENTRY = "tls.key";
    static final String CA_ENTRY = "ca.crt";
    /** Where a version's etcd password is mounted, from its Secret {@code <name>-<version>-etcd}. */
    static final String ETCD_DIR = "/var/run/reside/etcd";
    static final String ETCD_ENTRY = "password";
    /** Marks a version's etcd Secret, naming the etcd user whose password it holds. */
    static final String ETCD_USER = "reside.io/etcd-user";

    private final AlphaConfig.Kubernetes config;
    private final String cluster;
    private final List<String> etcdEndpoints;
    private final boolean tls;
    private final java.util.Optional<String> otlpEndpoint;
    private final String namespace;

    KubernetesObjects(AlphaConfig.Kubernetes config, String cluster, List<String> etcdEndpoints, boolean tls) {
        this(config, cluster, etcdEndpoints, tls, java.util.Optional.empty(), "default");
    }

    /** @param namespace where the replicas run: their Service names, hence their internal endpoints */
    KubernetesObjects(AlphaConfig.Kubernetes config, String cluster, List<String> etcdEndpoints, boolean tls,
            java.util.Optional<String> otlpEndpoint, String namespace) {
        this.otlpEndpoint = otlpEndpoint;
        this.namespace = namespace;
        this.config = config;
        this.cluster = cluster;
        this.etcdEndpoints = etcdEndpoints;
        this.tls = tls;
    }

    static String workloadName(Desired d) {
        return d.replica().name() + "-" + d.version().id();
    }

    static boolean oneshot(Desired d) {
        return "oneshot".equals(d.version().manifest().info().replicaClass());
    }

    static Map<String, String> instanceLabels(String name) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED_BY, RESIDE);
        labels.put(REPLICA, name);
        return labels;
    }

    static Map<String, String> versionLabels(Desired d) {
        Map<String, String> labels = instanceLabels(d.replica().name());
        labels.put(VERSION, Integer.toString(d.version().id()));
        return labels;
    }

    private static ObjectMeta versionMeta(Desired d, String name) {
        return new ObjectMetaBuilder().withName(name).withLabels(versionLabels(d))
                .withAnnotations(new LinkedHashMap<>(Map.of(REPLICA_ID, d.replica().id()))).build();
    }

    /** A Secret's value as the API holds it: base64 of the UTF-8 text. */
    static String base64(String text) {
        return java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The text of a Secret's value; an IllegalArgumentException when it is not base64. */
    static String text(String base64) {
        return new String(java.util.Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The Secret of a version's etcd password (docs/adr/0008): one per version, so updates rotate it. */
    static String etcdSecretName(Desired d) {
        return workloadName(d) + "-etcd";
    }

    io.fabric8.kubernetes.api.model.Secret etcdSecretOf(Desired d) {
        ObjectMeta meta = versionMeta(d, etcdSecretName(d));
        meta.getAnnotations().put(ETCD_USER, d.etcd().username());
        return new io.fabric8.kubernetes.api.model.SecretBuilder().withMetadata(meta).withType("Opaque")
                .withData(Map.of(ETCD_ENTRY, base64(d.etcd().password()))).build();
    }

    Deployment deploymentOf(Desired d, String name) {
        return new DeploymentBuilder().withMetadata(versionMeta(d, name)).withNewSpec().withReplicas(1)
                .withRevisionHistoryLimit(1)
                .withNewSelector().withMatchLabels(versionLabels(d)).endSelector()
                .withNewTemplate().withMetadata(new ObjectMetaBuilder().withLabels(versionLabels(d))
                        .withAnnotations(Map.of(REPLICA_ID, d.replica().id())).build())
                .withSpec(podSpec(d, "Always")).endTemplate()
                .endSpec().build();
    }

    Job jobOf(Desired d, String name) {
        return new JobBuilder().withMetadata(versionMeta(d, name)).withNewSpec()
                .withBackoffLimit(config.jobBackoffLimit())
                .withNewTemplate().withMetadata(new ObjectMetaBuilder().withLabels(versionLabels(d))
                        .withAnnotations(Map.of(REPLICA_ID, d.replica().id())).build())
                .withSpec(podSpec(d, "OnFailure")).endTemplate()
                .endSpec().build();
    }

    private PodSpec podSpec(Desired d, String restartPolicy) {
        PodSpecBuilder spec = new PodSpecBuilder().withRestartPolicy(restartPolicy)
                .withAutomountServiceAccountToken(false).withEnableServiceLinks(false)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(config.runAsUser())
                .withRunAsGroup(config.runAsUser()).withFsGroup(config.runAsUser())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
                .addToContainers(container(d, !"OnFailure".equals(restartPolicy)))
                .addNewVolume().withName("account-key").withNewSecret().withSecretName(d.replica().name())
                .withDefaultMode(0440).withItems(secretItems()).endSecret()
                .endVolume()
                .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume();
        if (d.etcd() != null) {
            spec.addNewVolume().withName("etcd").withNewSecret().withSecretName(etcdSecretName(d))
                    .withDefaultMode(0440).endSecret().endVolume();
        }
        if (d.replica().placementGroup() != null) {
            spec.withNodeSelector(Map.of(config.placementLabel(), d.replica().placementGroup()));
        }
        config.imagePullSecret().ifPresent(s -> spec.addNewImagePullSecret(s));
        return spec.build();
    }

    private Container container(Desired d, boolean probed) {
        String jvm = String.join(" ", config.jvmOptions());
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("RESIDE_ETCD_ENDPOINTS", String.join(",", etcdEndpoints), null));
        env.add(new EnvVar("RESIDE_CLUSTER", cluster, null));
        env.add(new EnvVar("RESIDE_CONTROL_BLOCK_ID", d.replica().id(), null));
        env.add(new EnvVar("RESIDE_ACCOUNT_ID", d.replica().accountId(), null));
        env.add(new EnvVar("RESIDE_ACCOUNT_KEY_FILE", KEY_DIR + "/" + KEY_ENTRY, null));
        env.add(new EnvVar("RESIDE_ACCESS_CONTEXT", "internal", null));
        if (tls) {
            // HTTPS only, with the certificate from its Secret (reloaded when Alpha renews it); trusts the CA alone
            WorkloadRuntime.tlsEnv(config.containerPort(), KEY_DIR + "/" + TLS_CERT_ENTRY, KEY_DIR + "/"
                    + TLS_KEY_ENTRY, KEY_DIR + "/" + CA_ENTRY).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
            env.add(new EnvVar("QUARKUS_HTTP_SSL_CERTIFICATE_RELOAD_PERIOD", "1h", null));
        } else {
            env.add(new EnvVar("QUARKUS_HTTP_PORT", Integer.toString(config.containerPort()), null));
        }
        WorkloadRuntime.telemetryEnv(otlpEndpoint, d.replica().name(), d.replica().id()).entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).forEach(e -> env.add(new EnvVar(e.getKey(), e.getValue(), null)));
        // where others reach it, as Alpha publishes it: a handler registers these with the telegram replica
        endpoints(d).forEach((context, url) -> env.add(new EnvVar("RESIDE_ENDPOINT_" + context.toUpperCase(
                java.util.Locale.ROOT), url, null)));
        WorkloadRuntime.etcdEnv(d.etcd(), ETCD_DIR + "/" + ETCD_ENTRY).entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).forEach(e -> env.add(new EnvVar(e.getKey(), e.getValue(), null)));
        if (config.jsonLogs()) {
            WorkloadRuntime.jsonLogEnv(d.replica().name()).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        }
        env.add(new EnvVar("JAVA_OPTS", jvm, null)); // for base images whose launch script reads it
        env.add(new EnvVar("JDK_JAVA_OPTIONS", jvm, null)); // read by the java launcher itself
        ContainerBuilder c = new ContainerBuilder().withName("replica").withImage(image(d))
                .withImagePullPolicy("IfNotPresent").withEnv(env)
                .addNewPort().withName("http").withContainerPort(config.containerPort()).withProtocol("TCP").endPort()
                .withNewResources()
                .addToRequests("cpu", new Quantity(config.cpuRequest()))
                .addToRequests("memory", new Quantity(config.memoryRequest()))
                .addToLimits("memory", new Quantity(config.memoryLimit())).endResources()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName("account-key").withMountPath(KEY_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount();
        if (d.etcd() != null) {
            c.addNewVolumeMount().withName("etcd").withMountPath(ETCD_DIR).withReadOnly(true).endVolumeMount();
        }
        if (probed) {
            c.withStartupProbe(probe("/q/health/started", 1, 60)).withReadinessProbe(probe("/q/health/ready", 5, 3))
                    .withLivenessProbe(probe("/q/health/live", 10, 3));
        }
        return c.build();
    }

    private List<io.fabric8.kubernetes.api.model.KeyToPath> secretItems() {
        List<io.fabric8.kubernetes.api.model.KeyToPath> items = new ArrayList<>();
        for (String entry : tls ? List.of(KEY_ENTRY, TLS_CERT_ENTRY, TLS_KEY_ENTRY, CA_ENTRY) : List.of(KEY_ENTRY)) {
            items.add(new io.fabric8.kubernetes.api.model.KeyToPathBuilder().withKey(entry).withPath(entry).build());
        }
        return items;
    }

    private Probe probe(String path, int period, int failures) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString("http"))
                .withScheme(tls ? "HTTPS" : "HTTP").endHttpGet()
                .withPeriodSeconds(period).withFailureThreshold(failures).withTimeoutSeconds(2).build();
    }

    /** The version's image pinned by digest: what was validated is what runs. */
    private static String image(Desired d) {
        return image(d.version());
    }

    /** The image a version runs: its identity pinned to the digest resolved at load time. */
    static String image(io.reside.alpha.service.Records.VersionRecord v) {
        return ImageReference.parse(v.image()).identity() + "@" + v.digest();
    }

    /** Access context → base URL of an instance that serves methods (its Service, and its Ingress path). */
    Map<String, String> endpoints(Desired d) {
        if (!d.serves()) {
            return Map.of();
        }
        Map<String, String> endpoints = new LinkedHashMap<>();
        endpoints.put("internal", tls ? "https://" + d.replica().name() + "." + namespace + ".svc:" + TLS_SERVICE_PORT
                : "http://" + d.replica().name() + "." + namespace + ".svc:" + SERVICE_PORT);
        if (config.ingress().enabled()) {
            config.ingress().externalUrl().ifPresent(url -> endpoints.put("external", url.replaceAll("/+$", "")
                    + "/replicas/" + d.replica().name()));
        }
        return endpoints;
    }

    Service service(Desired d) {
        String name = d.replica().name();
        return new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
                .withLabels(instanceLabels(name)).withAnnotations(new LinkedHashMap<>(Map.of(REPLICA_ID,
                        d.replica().id())))
                .build())
                .withNewSpec().withType("ClusterIP").withSelector(instanceLabels(name))
                .addNewPort().withName("http").withPort(tls ? TLS_SERVICE_PORT : SERVICE_PORT)
                .withTargetPort(new IntOrString("http"))
                .withProtocol("TCP").endPort().endSpec().build();
    }

    Ingress ingress(Desired d) {
        String name = d.replica().name();
        AlphaConfig.Kubernetes.Ingress settings = config.ingress();
        boolean nginx = settings.rewrite() == AlphaConfig.Kubernetes.Ingress.Rewrite.NGINX;
        Map<String, String> annotations = new LinkedHashMap<>(settings.annotations());
        annotations.put(REPLICA_ID, d.replica().id());
        if (nginx) {
            // /replicas/<name>/rpc/... reaches the replica as /rpc/..., the path its callers sign
            annotations.put("nginx.ingress.kubernetes.io/use-regex", "true");
            annotations.put("nginx.ingress.kubernetes.io/rewrite-target", "/$2");
            if (tls) {
                annotations.put("nginx.ingress.kubernetes.io/backend-protocol", "HTTPS");
            }
        }
        var path = new HTTPIngressPathBuilder()
                .withPath(nginx ? "/replicas/" + name + "(/|$)(.*)" : "/replicas/" + name + "/")
                .withPathType(nginx ? "ImplementationSpecific" : "Prefix")
                .withNewBackend().withNewService().withName(name).withNewPort().withName("http").endPort()
                .endService().endBackend().build();
        return new IngressBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
                .withLabels(instanceLabels(name)).withAnnotations(annotations).build())
                .withNewSpec().withIngressClassName(settings.className().orElse(null))
                .addNewRule().withHost(settings.host().orElse(null)).withNewHttp().withPaths(path).endHttp().endRule()
                .endSpec().build();
    }

}
